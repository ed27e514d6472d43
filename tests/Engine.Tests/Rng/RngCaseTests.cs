using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Rng cases (src/Diagnostics/Cases/Rng) on the CPU: against their plain references (no case has a gradient).</summary>
public class RngCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Rng");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Rng", key);
}
