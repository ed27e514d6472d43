using System.Text;
using Engine.Runtime.Cuda;

namespace Engine.Tests.Cuda;

/// <summary>
/// flash_attention.cu: what NVRTC emits per arch (no GPU needed), and the parity rows wherever a CUDA driver (a GPU
/// or the CPU emulator) is present.
/// </summary>
public class FlashAttentionTests
{
    private static readonly string[] Entries =
    [
        "flash_attn_fwd_bf16_d64", "flash_attn_fwd_bf16_d128", "flash_attn_bwd_delta_bf16",
        "flash_attn_bwd_dkdv_bf16_d64", "flash_attn_bwd_dkdv_bf16_d128", "flash_attn_bwd_dq_bf16_d64", "flash_attn_bwd_dq_bf16_d128",
    ];

    private static string? Ptx(string arch)
    {
        // No NVRTC on this machine, or the CPU emulator standing in for it (its "PTX" is a stub): nothing to check.
        if (Engine.Runtime.Cuda.Native.CudaLibraries.EmulatorPath is not null || !NvrtcCompiler.IsAvailable(out _)) return null;
        var res = NvrtcCompiler.Compile(KernelSources.Source("flash_attention.cu"), "flash_attention.cu", KernelSources.Headers(), NvrtcCompiler.DefaultOptions(arch));
        Assert.DoesNotContain("warning", res.Log, StringComparison.OrdinalIgnoreCase);
        return Encoding.UTF8.GetString(res.Ptx);
    }

    /// <summary>sm_80+: the bf16 tensor-core instruction, every entry point, and no local-memory arrays (fragments in registers).</summary>
    [Fact]
    public void Sm80BuildUsesBf16TensorCoreMma()
    {
        var ptx = Ptx("compute_80");
        if (ptx is null) return;
        Assert.Contains("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32", ptx);
        foreach (var e in Entries) Assert.Contains($".entry {e}(", ptx);
        Assert.DoesNotContain(".local", ptx);
    }

    /// <summary>
    /// bf16 flash kernels vs the f32 CPU reference on the same rounded inputs (every row within 1e-2): the quick subset
    /// (GQA + mask + causal, Tq &lt; Tk, both head dims, forward and backward) so it stays short on the emulator;
    /// `engine doctor --device cuda` runs every case.
    /// </summary>
    [Fact]
    public void ParityRowsPassWhereCudaRuns()
    {
        if (!CudaProbe.Probe().Found) return; // no driver (and no emulator) here
        var rows = CudaParitySuite.FlashAttention(0, 20261125, quick: true);
        Assert.NotEmpty(rows);
        var failed = rows.Where(r => !r.Pass).Select(r => $"{r.Op} {r.Shape}: {r.MaxRelError:E2}").ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
    }
}
