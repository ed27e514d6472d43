using System.Text.RegularExpressions;
using Engine.Diagnostics.Kernels;

namespace Engine.Tests.Cuda;

/// <summary>The typed launchers generated from kernels/*.cu, and the parser they are generated with.</summary>
public class KernelLauncherTests
{
    private static string Root => CudaEmulator.RepoRoot();

    /// <summary>Every generated launcher file equals what the kernel files make now (run `engine kernels launchers --write` after editing a kernel).</summary>
    [Fact]
    public void GeneratedLaunchersMatchTheKernelFiles()
    {
        var stale = LauncherFiles.Compare(Path.Combine(Root, "kernels"), Path.Combine(Root, "src", "Runtime", "Cuda"));
        Assert.True(stale.Count == 0, "out of date (run `engine kernels launchers --write` from the repository root):\n" +
            string.Join('\n', stale.Select(s => $"{Path.GetRelativePath(Root, s.Path)}: {s.Why}")));
    }

    /// <summary>The parser sees every __global__ of every kernel file (so the coverage test cannot miss one).</summary>
    [Fact]
    public void ParserFindsEveryGlobalFunction()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "kernels"), "*.cu"))
        {
            var code = Regex.Replace(Regex.Replace(File.ReadAllText(file), @"/\*.*?\*/", "", RegexOptions.Singleline), @"//[^\n]*", "");
            int globals = Regex.Matches(code, @"\b__global__\b").Count;
            Assert.Equal(globals, KernelCoverage.EmbeddedKernels().Count(k => k.File == Path.GetFileName(file)));
        }
    }

    [Fact]
    public void ParserReadsMacroParametersAndLaunchBounds()
    {
        var k = KernelSourceParser.Parse("x.cu", """
            #define ARGS const float* a, \
                long long n
            #define THREADS 128
            extern "C" __global__ void __launch_bounds__(THREADS) scale(ARGS, float s, unsigned long long seed, int* out) { }
            """, ["#define UNUSED 1"]).Single();
        Assert.Equal(("scale", 128), (k.Name, k.Block));
        Assert.Equal(["CudaPointer", "long", "float", "ulong", "CudaPointer"], k.Parameters.Select(p => p.CSharpType));
        Assert.Equal("scale(const float* a, long long n, float s, unsigned long long seed, int* out)", k.Declaration);
    }

    [Fact]
    public void KernelsWithoutBlockSizeOrWithUnpassableParametersAreErrors()
    {
        var e = Assert.Throws<FormatException>(() => KernelSourceParser.Parse("x.cu", "extern \"C\" __global__ void k(int a) { }", []));
        Assert.Contains("k has no __launch_bounds__(N)", e.Message);
        e = Assert.Throws<FormatException>(() => KernelSourceParser.Parse("x.cu", "extern \"C\" __global__ void __launch_bounds__(256) k(bool a) { }", []));
        Assert.Contains("parameter 'bool a' has type 'bool'", e.Message);
    }
}
