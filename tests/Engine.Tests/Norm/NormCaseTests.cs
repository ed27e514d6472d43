using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Norm cases (src/Diagnostics/Cases/Norm) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class NormCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Norm");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Norm");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Norm", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Norm", key);
}
