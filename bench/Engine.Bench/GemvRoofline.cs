using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// Batch-1 decode GEMV against the memory roofline, on 1 and 2 threads in one process: STREAM-like copy and triad
/// (128 MiB arrays) and a read-only stream (what a GEMV does to its weights: it reads them and writes almost nothing),
/// then y = x·Wᵀ for bf16 W (Bf16Gemv) and f32 W (GemvF32) at N×K. Both W live in tensors (64-byte aligned native
/// memory), as a model's weights do. Consecutive calls cycle through
/// enough copies of W (≥ 256 MiB in all) that no call finds its weights in the L3 cache, as in decoding, where each
/// layer's weights come back only after every other layer's. GB/s counts the weight bytes read per call.
/// Usage: gemv-roofline [N K] [--bf16-prefetch 0,1024] (software prefetch distances, in weights, for Bf16Gemv to compare)
/// [--rows M] (rows of x, 1–4: small-batch decode; default 1).
/// </summary>
internal static unsafe class GemvRoofline
{
    public static int Run(string[] args)
    {
        var dims = new List<int>(); int m = 1; int[] pfs = [Bf16Gemv.PrefetchAhead];
        for (int i = 1; i < args.Length; i++)
            if (args[i] == "--bf16-prefetch") pfs = args[++i].Split(',').Select(int.Parse).ToArray();
            else if (args[i] == "--rows") m = int.Parse(args[++i]);
            else dims.Add(int.Parse(args[i]));
        int n = dims.Count > 1 ? dims[0] : 4096, k = dims.Count > 1 ? dims[1] : 4096;
        Console.WriteLine($"gemv-roofline M={m} N={n} K={k}: best of 5 for copy/triad; GEMV median (and best) of calls cycling through copies of W");
        Console.WriteLine("  'of read' = weight GB/s ÷ the read-only stream's; 'of max' = ÷ max(copy, triad), which count written bytes too");
        Console.WriteLine($"{"thr",4} {"copy GB/s",10} {"triad GB/s",11} {"read GB/s",10} {"bf16 ms",9} {"GB/s",6} {"of read",8} {"of max",7} {"f32 ms",9} {"GB/s",6} {"of read",8} {"of max",7}   (best-call GB/s: bf16 / f32)");
        var x = Tensor.RandN([m, k], 3); var y = Tensor.Zeros([m, n]);
        long bf16Bytes = 2L * n * k, f32Bytes = 4L * n * k;
        int bCopies = (int)Math.Max(2, (256L << 20) / bf16Bytes), fCopies = (int)Math.Max(2, (256L << 20) / f32Bytes);
        var wb = new Tensor[bCopies]; var wf = new Tensor[fCopies];
        for (int c = 0; c < bCopies; c++)
        {
            var f = Tensor.RandN([n, k], (ulong)(10 + c));
            wb[c] = Tensor.Empty([n, k], DType.BF16);
            DTypeConvert.FloatToBf16(new ReadOnlySpan<float>(f.Ptr<float>(), n * k), new Span<ushort>(wb[c].Ptr<ushort>(), n * k));
        }
        for (int c = 0; c < fCopies; c++) wf[c] = Tensor.RandN([n, k], (ulong)(50 + c));
            foreach (int pf in pfs)
            foreach (int threads in new[] { 1, 2 })
            {
                Bf16Gemv.PrefetchAhead = pf;
                var (copy, triad, read) = Bandwidth(threads);
                double roof = Math.Max(copy, triad);
                CpuThreads.Count = threads;
                float* px = x.Ptr<float>(), py = y.Ptr<float>();
                int cb = 0, cf = 0;
                var tb = Time(bCopies, () => { var w = wb[cb++ % bCopies].Ptr<ushort>(); Gemm.SgemmBf16Weights(false, true, m, n, k, 1f, px, k, w, k, 0f, py, n); });
                var tf = Time(fCopies, () => { var w = wf[cf++ % fCopies].Ptr<float>(); Gemm.Sgemm(false, true, m, n, k, 1f, px, k, w, k, 0f, py, n); });
                double gb = bf16Bytes / tb.Med / 1e9, gf = f32Bytes / tf.Med / 1e9;
                Console.WriteLine($"{threads,4} {copy,10:F1} {triad,11:F1} {read,10:F1} {tb.Med * 1e3,9:F3} {gb,6:F1} {gb / read,8:P0} {gb / roof,7:P0} {tf.Med * 1e3,9:F3} {gf,6:F1} {gf / read,8:P0} {gf / roof,7:P0}   ({bf16Bytes / tb.Best / 1e9:F1} / {f32Bytes / tf.Best / 1e9:F1}) pf={pf}");
            }
        return 0;
    }

    /// <summary>
    /// Median and best of 60 calls after warm-up calls that touch every copy of W once (at least 10: JIT tiers settled,
    /// workers started). With only 10, the first thread count timed in a process read small shapes 2–3× slower than the
    /// next (1408×512: 0.10–0.22 ms against 0.045 on one thread) while its calls still met copies for the first time.
    /// </summary>
    private static (double Med, double Best) Time(int copies, Action f)
    {
        for (int i = 0; i < Math.Max(10, copies); i++) f();
        var t = new double[60];
        for (int i = 0; i < t.Length; i++) { var sw = Stopwatch.StartNew(); f(); t[i] = sw.Elapsed.TotalSeconds; }
        Array.Sort(t);
        return (t[t.Length / 2], t[0]);
    }

    /// <summary>
    /// Copy (2 arrays) and triad (3 arrays) over 128 MiB each, split in halves per thread; bytes read + written, no
    /// write-allocate counted. Read: one 128 MiB array read once (OR-reduced), the GEMV's own kind of traffic.
    /// </summary>
    private static (double Copy, double Triad, double Read) Bandwidth(int threads)
    {
        const long N = 32L << 20;
        // Tensors, not managed arrays: their memory is 64-byte aligned, as a model's weights are. A managed array's data
        // sits 16–24 bytes past a line boundary, so every 64-byte load spans two lines: 31 against 36 GB/s read here.
        var ta = Tensor.Zeros([(int)N]); var tb = Tensor.Zeros([(int)N]); var tc = Tensor.Zeros([(int)N]);
        float* a = ta.Ptr<float>(), b = tb.Ptr<float>(), c = tc.Ptr<float>();
        new Span<float>(b, (int)N).Fill(1f); new Span<float>(c, (int)N).Fill(2f);
        double Best(Action f) { f(); double t = double.MaxValue; for (int i = 0; i < 5; i++) { var sw = Stopwatch.StartNew(); f(); t = Math.Min(t, sw.Elapsed.TotalSeconds); } return t; }
        void Part(Action<int, int> body) => Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, w => body((int)(N * w / threads), (int)(N * (w + 1) / threads - N * w / threads)));
        double tCopy = Best(() => Part((lo, len) => new Span<float>(b + lo, len).CopyTo(new Span<float>(a + lo, len))));
        double tTriad = Best(() => Part((lo, len) => System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(new Span<float>(c + lo, len), 3f, new Span<float>(b + lo, len), new Span<float>(a + lo, len))));
        double tRead = Best(() => Part((lo, len) => ReadAll(b + lo, len)));
        return (2.0 * N * 4 / tCopy / 1e9, 3.0 * N * 4 / tTriad / 1e9, N * 4 / tRead / 1e9);
    }

    private static uint readSink;

    /// <summary>Reads b[0, len) once, four 64-byte loads per step, OR-ing the bits so the loads cannot be dropped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReadAll(float* b, int len)
    {
        uint* p = (uint*)b;
        Vector512<uint> a0 = default, a1 = default, a2 = default, a3 = default;
        for (int i = 0; i + 64 <= len; i += 64)
        {
            a0 |= Vector512.Load(p + i); a1 |= Vector512.Load(p + i + 16);
            a2 |= Vector512.Load(p + i + 32); a3 |= Vector512.Load(p + i + 48);
        }
        readSink |= ((a0 | a1) | (a2 | a3)).GetElement(0);
    }
}
