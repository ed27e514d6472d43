using Engine.Diagnostics.OpCases;
using Engine.Runtime;

namespace Engine.Tests.OpCases;

/// <summary>The op table's own rules: unique cases, one family name in every tree, honest capabilities.</summary>
public class OpTableTests
{
    private static string Root => Engine.Tests.Cuda.CudaEmulator.RepoRoot();

    [Fact]
    public void CaseKeysAreUnique()
    {
        var dup = OpTable.All.GroupBy(c => (c.Family, c.Key)).Where(g => g.Count() > 1).Select(g => g.Key).ToArray();
        Assert.True(dup.Length == 0, string.Join('\n', dup));
        Assert.True(OpTable.All.Count > 200);
    }

    /// <summary>Each family's pieces are found by its name: CPU folder, op surface, cases, tests; and each kernel file belongs to a family.</summary>
    [Fact]
    public void EveryFamilyIsNamedTheSameInEveryTree()
    {
        var missing = new List<string>();
        void Need(string path) { if (!File.Exists(Path.Combine(Root, path)) && !Directory.Exists(Path.Combine(Root, path))) missing.Add(path); }
        foreach (var family in OpTable.All.Where(c => !c.DeviceOnly).Select(c => c.Family).Distinct())
        {
            Need($"src/Runtime/Cpu/{family}");
            Need($"src/Runtime/Backends/IBackend.{family}.cs");
            Need($"src/Diagnostics/Cases/{family}");
            Need($"tests/Engine.Tests/{family}/{family}CaseTests.cs");
        }
        var families = OpTable.All.Select(c => c.Family).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var cu in Directory.GetFiles(Path.Combine(Root, "kernels"), "*.cu").Select(Path.GetFileNameWithoutExtension))
            if (!families.Contains(cu!.Split('_')[0])) missing.Add($"a family of the table for kernels/{cu}.cu");
        Assert.True(missing.Count == 0, "missing:\n" + string.Join('\n', missing));
    }

    /// <summary>Every case runs on the CPU (its expected side); where the CPU lacks the case's dtype, running it there is a clear error.</summary>
    [Fact]
    public void CasesRunOnTheCpuAndItsCapabilitiesAreHonest()
    {
        var problems = new List<string>();
        foreach (var c in OpTable.All.Where(c => !c.DeviceOnly))
        {
            var inputs = c.Inputs(CaseData.SeedFor(c, 5));
            try { Assert.NotEmpty(ParityRunner.Expected(c, inputs)); }
            catch (Exception e) { problems.Add($"{c}: {e.Message}"); }
            if (Backend.Cpu.Supports(c.Op, c.DType) || c.Expected is not null) continue;
            try { c.Run(inputs); problems.Add($"{c}: ran on the CPU although its capabilities lack {c.Op} for {c.DType}"); }
            catch (NotSupportedException) { }
            catch (ArgumentException) { }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
