using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's Embedding cases (src/Diagnostics/Cases/Embedding) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class EmbeddingCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("Embedding");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("Embedding");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("Embedding", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("Embedding", key);
}
