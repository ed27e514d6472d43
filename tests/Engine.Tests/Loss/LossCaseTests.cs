using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Loss cases (src/Diagnostics/Cases/Loss) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class LossCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Loss");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Loss");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Loss", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Loss", key);
}
