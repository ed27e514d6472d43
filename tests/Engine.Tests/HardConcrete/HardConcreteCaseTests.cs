using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's HardConcrete cases (src/Diagnostics/Cases/HardConcrete) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class HardConcreteCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("HardConcrete");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("HardConcrete");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("HardConcrete", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("HardConcrete", key);
}
