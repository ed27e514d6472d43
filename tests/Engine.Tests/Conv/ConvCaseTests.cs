using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Conv cases (src/Diagnostics/Cases/Conv) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class ConvCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Conv");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Conv");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Conv", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Conv", key);
}
