using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Optim cases (src/Diagnostics/Cases/Optim) on the CPU: against their plain references (no case has a gradient).</summary>
public class OptimCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Optim");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Optim", key);
}
