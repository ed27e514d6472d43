using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Sampling cases (src/Diagnostics/Cases/Sampling) on the CPU: against their plain references (no case has a gradient).</summary>
public class SamplingCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Sampling");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Sampling", key);
}
