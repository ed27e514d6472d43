using Engine.Runtime.Cuda;

namespace Engine.Tests.Cuda;

/// <summary>The ahead-of-time fatbin is taken only when its recorded source hashes equal the embedded sources'.</summary>
public class PrebuiltKernelsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "engine-prebuilt-" + Guid.NewGuid().ToString("N"));

    public PrebuiltKernelsTests() => Directory.CreateDirectory(_dir);
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sha(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>What `sha256sum elementwise.cu common.cuh` would print, computed here from kernels/ on disk.</summary>
    private static string ManifestFromRepo(string kernel)
    {
        var root = AppContext.BaseDirectory;
        while (!Directory.Exists(Path.Combine(root, "kernels"))) root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("kernels/");
        var files = new[] { kernel }.Concat(Directory.GetFiles(Path.Combine(root, "kernels"), "*.cuh").Select(Path.GetFileName).OfType<string>());
        return string.Join('\n', files.Select(f => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(root, "kernels", f)))) + "  " + f)) + "\n";
    }

    [Fact]
    public void EmbeddedHashesEqualTheFilesOnDisk()
    {
        var expected = PrebuiltKernels.ExpectedHashes("elementwise.cu");
        var recorded = PrebuiltKernels.ParseManifest(ManifestFromRepo("elementwise.cu"));
        Assert.True(PrebuiltKernels.Matches(recorded, expected, out var why), why);
    }

    [Fact]
    public void MatchingFatbinIsChosen()
    {
        File.WriteAllBytes(Path.Combine(_dir, "elementwise.fatbin"), [1, 2, 3]);
        File.WriteAllText(Path.Combine(_dir, "elementwise.fatbin.sources"), ManifestFromRepo("elementwise.cu"));
        var image = PrebuiltKernels.Find("elementwise.cu", PrebuiltKernels.ExpectedHashes("elementwise.cu"), [_dir], out var detail);
        Assert.Equal([1, 2, 3], image);
        Assert.Contains("prebuilt", detail);
    }

    [Fact]
    public void StaleFatbinIsSkippedWithTheReason()
    {
        var expected = new Dictionary<string, string> { ["norm.cu"] = Sha("kernel v2"), ["common.cuh"] = Sha("header") };
        File.WriteAllBytes(Path.Combine(_dir, "norm.fatbin"), [9]);
        File.WriteAllText(Path.Combine(_dir, "norm.fatbin.sources"), $"{Sha("kernel v1")}  norm.cu\n{Sha("header")}  common.cuh\n");
        Assert.Null(PrebuiltKernels.Find("norm.cu", expected, [_dir], out var detail));
        Assert.Contains("different norm.cu", detail);

        File.WriteAllText(Path.Combine(_dir, "norm.fatbin.sources"), $"{Sha("kernel v2")}  norm.cu\n{Sha("header v0")}  common.cuh\n");
        Assert.Null(PrebuiltKernels.Find("norm.cu", expected, [_dir], out detail));
        Assert.Contains("different common.cuh", detail);

        File.WriteAllText(Path.Combine(_dir, "norm.fatbin.sources"), $"{Sha("kernel v2")}  norm.cu\n");
        Assert.Null(PrebuiltKernels.Find("norm.cu", expected, [_dir], out detail));
        Assert.Contains("without common.cuh", detail);

        File.WriteAllText(Path.Combine(_dir, "norm.fatbin.sources"), $"{Sha("kernel v2")}  norm.cu\n{Sha("header")}  common.cuh\n{Sha("x")}  extra.cuh\n");
        Assert.Null(PrebuiltKernels.Find("norm.cu", expected, [_dir], out detail));
        Assert.Contains("extra.cuh", detail);
    }

    [Fact]
    public void FatbinWithoutManifestIsNotUsedAndLaterDirectoriesAreTried()
    {
        var expected = new Dictionary<string, string> { ["loss.cu"] = Sha("k") };
        var second = Path.Combine(_dir, "second");
        Directory.CreateDirectory(second);
        File.WriteAllBytes(Path.Combine(_dir, "loss.fatbin"), [1]);
        File.WriteAllBytes(Path.Combine(second, "loss.fatbin"), [2]);
        File.WriteAllText(Path.Combine(second, "loss.fatbin.sources"), $"# written by native/kernel-manifest.cmake\n{Sha("k").ToUpperInvariant()} *kernels/loss.cu\n");
        var image = PrebuiltKernels.Find("loss.cu", expected, [_dir, second], out var detail);
        Assert.Equal([2], image);
        Assert.Null(PrebuiltKernels.Find("loss.cu", expected, [_dir], out detail));
        Assert.Contains("no loss.fatbin.sources", detail);
        Assert.Null(PrebuiltKernels.Find("loss.cu", expected, [Path.Combine(_dir, "missing")], out detail));
        Assert.Equal("no prebuilt fatbin", detail);
    }

    /// <summary>The CMake script that writes the manifest next to each fatbin agrees with the runtime's hashes.</summary>
    [Fact]
    public void CmakeManifestScriptMatchesTheEmbeddedSources()
    {
        var cmake = new[] { "/usr/bin/cmake", "/usr/local/bin/cmake" }.FirstOrDefault(File.Exists);
        if (cmake is null) return; // no cmake on this machine: the script is not what is under test here
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "native", "kernel-manifest.cmake"))) root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("native/");
        var outFile = Path.Combine(_dir, "attention.fatbin.sources");
        var psi = new System.Diagnostics.ProcessStartInfo(cmake, ["-DSRC=" + Path.Combine(root, "kernels", "attention.cu"), "-DOUT=" + outFile, "-P", Path.Combine(root, "native", "kernel-manifest.cmake")])
            { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        var recorded = PrebuiltKernels.ParseManifest(File.ReadAllText(outFile));
        Assert.True(PrebuiltKernels.Matches(recorded, PrebuiltKernels.ExpectedHashes("attention.cu"), out var why), why);
        Assert.False(PrebuiltKernels.Matches(recorded, PrebuiltKernels.ExpectedHashes("norm.cu"), out _));
    }

    /// <summary>The device's module loading: fatbin when the driver takes it, NVRTC when there is none or it is refused.</summary>
    [Fact]
    public void ModuleLoadPrefersTheFatbinAndFallsBackToNvrtc()
    {
        byte[] fat = [0xFA], ptx = [0x50];
        int compiles = 0;
        byte[] Nvrtc() { compiles++; return ptx; }
        (int, string) Accept(byte[] image) => (0, image == fat ? "fat-module" : "ptx-module");

        var (m, origin) = CudaDevice.LoadModule("norm.cu", fat, "prebuilt /k/norm.fatbin", Accept, Nvrtc, "compute_90");
        Assert.Equal(("fat-module", "prebuilt /k/norm.fatbin", 0), (m, origin, compiles));

        (int, string) RefuseFatbin(byte[] image) => image == fat ? (209, "") : (0, "ptx-module"); // CUDA_ERROR_NO_BINARY_FOR_GPU
        (m, origin) = CudaDevice.LoadModule("norm.cu", fat, "prebuilt /k/norm.fatbin", RefuseFatbin, Nvrtc, "compute_100");
        Assert.Equal("ptx-module", m);
        Assert.Equal(1, compiles);
        Assert.Equal("NVRTC for compute_100; prebuilt /k/norm.fatbin (driver refused it: CUresult 209)", origin);

        (m, origin) = CudaDevice.LoadModule("norm.cu", null, "no prebuilt fatbin", Accept, Nvrtc, "compute_80");
        Assert.Equal(("ptx-module", "NVRTC for compute_80; no prebuilt fatbin", 2), (m, origin, compiles));

        var e = Assert.Throws<Engine.Runtime.Cuda.Native.CudaException>(() => CudaDevice.LoadModule("norm.cu", null, "", _ => (218, ""), Nvrtc, "compute_80"));
        Assert.Contains("cuModuleLoadData(norm.cu)", e.Message);
    }

    [Fact]
    public void MalformedManifestLineIsReported()
    {
        var e = Assert.Throws<FormatException>(() => PrebuiltKernels.ParseManifest("deadbeef\n"));
        Assert.Contains("deadbeef", e.Message);
    }
}
