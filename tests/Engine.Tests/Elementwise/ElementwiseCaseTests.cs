using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Elementwise cases (src/Diagnostics/Cases/Elementwise) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class ElementwiseCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Elementwise");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Elementwise");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Elementwise", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Elementwise", key);
}
