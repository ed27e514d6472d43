using Engine.Tests.Infrastructure;

namespace Engine.Tests.OpCases;

/// <summary>The op table's MatMul cases (src/Diagnostics/Cases/MatMul) on the CPU: against their plain references, and their gradients against finite differences.</summary>
public class MatMulCaseTests
{
    public static IEnumerable<object[]> WithReference() => OpCaseChecks.WithReference("MatMul");
    public static IEnumerable<object[]> WithGradient() => OpCaseChecks.WithGradient("MatMul");

    [Theory]
    [MemberData(nameof(WithReference))]
    public void CpuMatchesThePlainReference(string key) => OpCaseChecks.Reference("MatMul", key);

    [Theory]
    [MemberData(nameof(WithGradient))]
    public void GradientMatchesFiniteDifferences(string key) => OpCaseChecks.Gradient("MatMul", key);
}
