using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Softmax cases (src/Diagnostics/Cases/Softmax) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class SoftmaxCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Softmax");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Softmax");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Softmax", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Softmax", key);
}
