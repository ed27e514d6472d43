using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Activation cases (src/Diagnostics/Cases/Activation) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class ActivationCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Activation");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Activation");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Activation", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Activation", key);
}
