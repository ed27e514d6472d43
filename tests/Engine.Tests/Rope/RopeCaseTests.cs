using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Rope cases (src/Diagnostics/Cases/Rope) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class RopeCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Rope");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Rope");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Rope", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Rope", key);
}
