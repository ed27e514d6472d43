using System.CommandLine;
using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cuda;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine bench attention --device cuda`: the flash (bf16 tensor-core) attention kernels, forward and forward+backward,
/// against the straightforward f32 kernels, at B = 1 and growing sequence length; one line per (kernel, T) with TFLOP/s.
/// FLOPs counted as usual for attention: forward 4·B·H·T²·D, backward 2.5× that (halved when causal). Timed with a
/// device synchronize around each batch of repetitions; the best repetition is reported.
/// </summary>
public static class BenchAttentionCommand
{
    public static Command Create()
    {
        var device = new Option<string>("--device") { Description = "cuda[:N] (the kernels are CUDA-only).", DefaultValueFactory = _ => "cuda" };
        var lengths = new Option<string>("--lengths") { Description = "Comma-separated sequence lengths T (Tq = Tk).", DefaultValueFactory = _ => "1024,2048,4096,8192" };
        var heads = new Option<int>("--heads") { Description = "Heads H (query = key/value heads).", DefaultValueFactory = _ => 16 };
        var dim = new Option<int>("--dim") { Description = "Head dim D (flash kernels: 64 or 128).", DefaultValueFactory = _ => 128 };
        var causal = new Option<bool>("--causal") { Description = "Causal masking (FLOPs halved)." };
        var reps = new Option<int>("--reps") { Description = "Timed repetitions; the best is reported.", DefaultValueFactory = _ => 5 };
        var f32Max = new Option<int>("--f32-max-t") { Description = "Largest T for the slow f32 kernels (0 = skip them).", DefaultValueFactory = _ => 4096 };
        var cmd = new Command("attention", "Time flash attention (bf16 MMA) fwd and fwd+bwd vs the f32 kernels; prints TFLOP/s per T.") { device, lengths, heads, dim, causal, reps, f32Max };
        cmd.SetAction(r => Run(r.GetValue(device)!, r.GetValue(lengths)!, r.GetValue(heads), r.GetValue(dim), r.GetValue(causal), r.GetValue(reps), r.GetValue(f32Max)));
        return cmd;
    }

    private static int Run(string deviceText, string lengthsText, int heads, int dim, bool causal, int reps, int f32Max)
    {
        Device dev;
        int[] ts;
        try
        {
            dev = Device.Parse(deviceText);
            ts = lengthsText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        }
        catch (Exception e) when (e is ArgumentException or FormatException) { Console.Error.WriteLine(e.Message); return 2; }
        if (dev.Kind != DeviceKind.Cuda) { Console.Error.WriteLine("bench attention: --device must be cuda[:N]."); return 2; }
        if (heads <= 0 || reps <= 0 || ts.Length == 0 || ts.Any(t => t <= 0)) { Console.Error.WriteLine("--heads, --reps and every length must be positive."); return 2; }
        if (!CudaBackend.IsFlashHeadDim(dim)) Console.Error.WriteLine($"note: head dim {dim} has no flash kernel; the bf16 rows run the f32 fallback.");
        var probe = CudaProbe.Probe();
        if (!probe.Found) { Console.Error.WriteLine($"bench attention: CUDA is not available here ({probe.Detail})."); return 1; }

        var gpu = CudaBackend.Get(dev.Index);
        var cd = CudaDevice.Get(dev.Index);
        Console.WriteLine($"device {cd.Name} sm_{cd.ComputeMajor}{cd.ComputeMinor}; B=1 H={heads} D={dim} causal={causal} reps={reps}");
        double scale = 1 / Math.Sqrt(dim);
        foreach (int t in ts)
        {
            double fwdFlops = 4.0 * heads * (double)t * t * dim * (causal ? 0.5 : 1.0);
            var q = Tensor.RandN([1, heads, t, dim], 1); var k = Tensor.RandN([1, heads, t, dim], 2);
            var v = Tensor.RandN([1, heads, t, dim], 3); var g = Tensor.RandN([1, heads, t, dim], 4);
            var qb = q.To(DType.BF16).To(dev); var kb = k.To(DType.BF16).To(dev); var vb = v.To(DType.BF16).To(dev); var gb = g.To(DType.BF16).To(dev);
            var (ob, lb) = gpu.AttentionForward(qb, kb, vb, null, causal, scale);
            Report("flash.bf16 fwd", t, fwdFlops, Time(cd, reps, () => gpu.AttentionForward(qb, kb, vb, null, causal, scale)));
            Report("flash.bf16 fwd+bwd", t, 3.5 * fwdFlops, Time(cd, reps, () =>
            {
                var (o2, l2) = gpu.AttentionForward(qb, kb, vb, null, causal, scale);
                gpu.AttentionBackward(qb, kb, vb, o2, l2, gb, null, causal, scale);
            }));
            Report("flash.bf16 bwd", t, 2.5 * fwdFlops, Time(cd, reps, () => gpu.AttentionBackward(qb, kb, vb, ob, lb, gb, null, causal, scale)));
            if (t > f32Max) continue;
            var q32 = q.To(dev); var k32 = k.To(dev); var v32 = v.To(dev); var g32 = g.To(dev);
            var (o32, l32) = gpu.AttentionForward(q32, k32, v32, null, causal, scale);
            Report("f32 fwd", t, fwdFlops, Time(cd, reps, () => gpu.AttentionForward(q32, k32, v32, null, causal, scale)));
            Report("f32 bwd", t, 2.5 * fwdFlops, Time(cd, reps, () => gpu.AttentionBackward(q32, k32, v32, o32, l32, g32, null, causal, scale)));
        }
        return 0;
    }

    private static double Time(CudaDevice cd, int reps, Action once)
    {
        once(); // warm up: NVRTC compile, module load, pool
        cd.Synchronize();
        double best = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            var sw = Stopwatch.StartNew();
            once();
            cd.Synchronize();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return best;
    }

    private static void Report(string kernel, int t, double flops, double seconds) =>
        Console.WriteLine($"attention {kernel,-20} T={t,-6} ms={seconds * 1e3,9:F3} tflops={flops / seconds / 1e12,7:F2}");
}
