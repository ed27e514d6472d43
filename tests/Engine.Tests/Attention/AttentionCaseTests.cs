using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Attention cases (src/Diagnostics/Cases/Attention) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class AttentionCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Attention");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Attention");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Attention", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Attention", key);
}
