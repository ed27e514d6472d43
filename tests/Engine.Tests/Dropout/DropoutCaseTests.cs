using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Dropout cases (src/Diagnostics/Cases/Dropout) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class DropoutCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Dropout");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Dropout");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Dropout", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Dropout", key);
}
