using System.Text;
using Engine.Diagnostics.Cases.Attention;
using Engine.Diagnostics.OpCases;
using Engine.Runtime.Cuda;

namespace Engine.Tests.Attention;

/// <summary>
/// kernels/attention_flash.cu: what NVRTC emits per arch (no GPU needed), and the table's flash cases wherever a CUDA
/// driver is present in this process (a GPU; the emulator runs them in the full table).
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
        var res = NvrtcCompiler.Compile(KernelSources.Source("attention_flash.cu"), "attention_flash.cu", KernelSources.Headers(), NvrtcCompiler.DefaultOptions(arch));
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

    /// <summary>bf16 flash kernels vs the f32 CPU op on the same rounded inputs (every row within 1e-2), every flash case.</summary>
    [Fact]
    public void FlashCasesPassWhereCudaRuns()
    {
        if (!CudaProbe.Probe().Found) return; // no driver here (the emulator runs these cases in EmulatorParityTests)
        var rows = ParityRunner.Run(OpTable.All.Where(c => c.Name == "flash"), Engine.Runtime.Device.Cuda(0), 20261125);
        Assert.Equal(AttentionCases.FlashCases.Length, rows.Select(r => r.Shape).Distinct().Count());
        var failed = rows.Where(r => !r.Pass).Select(r => $"{r.Op} {r.Shape}: {r.Error:E2} {r.Note}").ToList();
        Assert.True(failed.Count == 0, string.Join("\n", failed));
    }
}
