using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// Console comparison of the bf16-weight entry (Gemm.SgemmBf16Weights: the VDPBF16PS GEMM where its dispatch picks it)
/// against our f32 GEMM and the widening bf16-weight path, timed alternately call by call at the inference shape
/// C = X·Wᵀ (W stored n×k, bf16 for the bf16 paths; X bf16-exact, as autocast leaves activations). Sizes: n (square) or MxNxK.
/// Also measures the machine's memory bandwidth (copy and triad over 256 MiB) and the M = 1 (decode) GEMV on bf16
/// weights as a fraction of that roofline (bytes of weights read per call ÷ time).
/// </summary>
internal static unsafe class Bf16VsF32
{
    public static int Run(string[] args)
    {
        int threads = 2;
        var sizes = new List<(int M, int N, int K)>();
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--threads") threads = int.Parse(args[++i]);
            else if (args[i].Contains('x')) { var d = args[i].Split('x').Select(int.Parse).ToArray(); sizes.Add((d[0], d[1], d[2])); }
            else { int n = int.Parse(args[i]); sizes.Add((n, n, n)); }
        }
        if (sizes.Count == 0) sizes.AddRange([(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048)]);
        CpuThreads.Count = threads;
        if (!Bf16Kernel.NativeSupported) { Console.Error.WriteLine($"VDPBF16PS kernel unavailable: {Bf16Kernel.UnavailableReason}"); return 2; }
        Console.WriteLine($"threads={threads}; f32 kernel={Gemm.Resolve<float>(GemmIsa.Auto)}; bf16 = Gemm.SgemmBf16Weights (the models' entry: bf16-exact");
        Console.WriteLine("activations as autocast leaves them, bf16 W; its dispatch picks the VDPBF16PS path or another, see the dot column), f32 = Gemm.Sgemm");
        Console.WriteLine("on the same values with W widened to f32 (the bytes must be equal: 'diff' counts elements that are not); widen = the widening path.");
        Console.WriteLine("Both sides pack their operands on every call (no packed-weight cache on either). GFLOP/s from wall time (best and median of");
        Console.WriteLine("interleaved calls) and from process CPU time ÷ threads.");
        Console.WriteLine($"{"size",16} {"thr",4} {"bf16 best",10} {"f32 best",10} {"ratio",6} {"bf16 med",10} {"f32 med",10} {"ratio",6} {"bf16 cpu",9} {"f32 cpu",9} {"ratio",6} {"widen med",10} {"dot",4} diff");
        foreach (var shape in sizes) Compare(shape, threads);
        Bandwidth(threads);
        return 0;
    }

    private static void Compare((int M, int N, int K) shape, int threads)
    {
        var (m, n, k) = shape;
        var x = Tensor.RandN([m, k], 1); var w = Tensor.RandN([n, k], 2);
        var wb = new ushort[(long)n * k];
        DTypeConvert.FloatToBf16(new ReadOnlySpan<float>(w.Ptr<float>(), n * k), wb);
        DTypeConvert.Bf16ToFloat(wb, new Span<float>(w.Ptr<float>(), n * k)); // f32 W = the bf16 weights widened
        var xb = new ushort[(long)m * k];
        DTypeConvert.FloatToBf16(new ReadOnlySpan<float>(x.Ptr<float>(), m * k), xb);
        DTypeConvert.Bf16ToFloat(xb, new Span<float>(x.Ptr<float>(), m * k)); // autocast's bf16-exact activations
        var c1 = Tensor.Zeros([m, n]); var c2 = Tensor.Zeros([m, n]); var c3 = Tensor.Zeros([m, n]);
        float* px = x.Ptr<float>(), pw = w.Ptr<float>(), p1 = c1.Ptr<float>(), p2 = c2.Ptr<float>(), p3 = c3.Ptr<float>();
        fixed (ushort* pwb = wb)
        {
            ushort* pb = pwb;
            void Bf16() => Gemm.SgemmBf16Weights(false, true, m, n, k, 1f, px, k, pb, k, 0f, p1, n);
            void F32() => Gemm.Sgemm(false, true, m, n, k, 1f, px, k, pw, k, 0f, p2, n);
            void Widen() => Gemm.SgemmBf16B(false, true, m, n, k, 1f, px, k, pb, k, 0f, p3, n);
            double flops = 2.0 * m * n * (double)k;
            bool dot = Gemm.Bf16RouteOf(Bf16Compute.Active, false, true, m, n, k, px, k) == Gemm.Bf16Route.Dot;
            Bf16();
            int rounds = (int)Math.Clamp(0.5 * 150e9 / flops, 5, 300);
            for (int i = 0; i < 2; i++) { Bf16(); F32(); Widen(); }
            var tb = new double[rounds]; var tf = new double[rounds]; var tw = new double[rounds];
            double cb = 0, cf = 0, cw = 0;
            for (int r = 0; r < rounds; r++)
            {
                if ((r & 1) == 0) { tb[r] = CpuClock.Time(Bf16, ref cb); tf[r] = CpuClock.Time(F32, ref cf); tw[r] = CpuClock.Time(Widen, ref cw); }
                else { tw[r] = CpuClock.Time(Widen, ref cw); tf[r] = CpuClock.Time(F32, ref cf); tb[r] = CpuClock.Time(Bf16, ref cb); }
            }
            long diff = 0;
            for (long i = 0; i < (long)m * n; i++) if (BitConverter.SingleToInt32Bits(p1[i]) != BitConverter.SingleToInt32Bits(p2[i])) diff++;
            Array.Sort(tb); Array.Sort(tf); Array.Sort(tw);
            double bb = flops / tb[0] / 1e9, fb = flops / tf[0] / 1e9, bm = flops / tb[rounds / 2] / 1e9, fm = flops / tf[rounds / 2] / 1e9;
            double bc = flops * rounds / (cb / threads) / 1e9, fc = flops * rounds / (cf / threads) / 1e9, wm = flops / tw[rounds / 2] / 1e9;
            Console.WriteLine($"{$"{m}x{n}x{k}",16} {threads,4} {bb,10:F1} {fb,10:F1} {bb / fb,6:F2} {bm,10:F1} {fm,10:F1} {bm / fm,6:F2} {bc,9:F1} {fc,9:F1} {bc / fc,6:F2} {wm,10:F1} {(dot ? "yes" : "no"),4} {diff}");
        }
    }

    /// <summary>STREAM-like copy and triad over arrays far larger than the caches, then the M = 1 bf16 GEMV per byte of weights.</summary>
    private static void Bandwidth(int threads)
    {
        const long N = 32L << 20; // 32 Mi floats = 128 MiB per array
        var a = new float[N]; var b = new float[N]; var c = new float[N];
        Array.Fill(b, 1f); Array.Fill(c, 2f); Array.Fill(a, 0f);
        double best(Action f, int reps) { f(); double t = double.MaxValue; for (int i = 0; i < reps; i++) { var sw = Stopwatch.StartNew(); f(); t = Math.Min(t, sw.Elapsed.TotalSeconds); } return t; }
        void Part(Action<long, long> body) => Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, w => body(N * w / threads, N * (w + 1) / threads));
        double tCopy = best(() => Part((lo, hi) => b.AsSpan((int)lo, (int)(hi - lo)).CopyTo(a.AsSpan((int)lo, (int)(hi - lo)))), 5);
        double tTriad = best(() => Part((lo, hi) => System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(c.AsSpan((int)lo, (int)(hi - lo)), 3f, b.AsSpan((int)lo, (int)(hi - lo)), a.AsSpan((int)lo, (int)(hi - lo)))), 5);
        double copyGBs = 2.0 * N * 4 / tCopy / 1e9, triadGBs = 3.0 * N * 4 / tTriad / 1e9; // bytes read + written (no write-allocate counted)
        double roof = Math.Max(copyGBs, triadGBs);
        Console.WriteLine($"bandwidth: copy {copyGBs:F1} GB/s, triad {triadGBs:F1} GB/s (threads={threads}, 128 MiB arrays)");
        // Decode-like GEMV: one token times a 4096×4096 bf16 weight (32 MiB, beyond the caches), widening path (the M = 1 route).
        int n = 4096, k = 4096;
        var x = Tensor.RandN([1, k], 3); var y = Tensor.Zeros([1, n]);
        var wb = new ushort[(long)n * k];
        new Random(4).NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(wb.AsSpan()));
        for (long i = 0; i < wb.Length; i++) wb[i] = (ushort)(wb[i] & 0xBFFF); // finite values
        fixed (ushort* pw = wb)
        {
            ushort* p = pw; float* px = x.Ptr<float>(), py = y.Ptr<float>();
            double t = best(() => Gemm.SgemmBf16Weights(false, true, 1, n, k, 1f, px, k, p, k, 0f, py, n), 20);
            double gbs = (double)n * k * 2 / t / 1e9;
            Console.WriteLine($"gemv M=1 {n}x{k} bf16 weights: {t * 1e3:F3} ms, {gbs:F1} GB/s of weights = {gbs / roof:P0} of the measured bandwidth");
        }
    }
}
