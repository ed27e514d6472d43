using Engine.Runtime;
using Engine.Runtime.Cpu;

namespace Engine.Bench;

/// <summary>
/// `gemm-bf16-parts`: where one call of the bf16 dot-product GEMM spends its time, next to the f32 GEMM's, at
/// x·Wᵀ (n = m = k), one thread: the whole call, then its A packing, its B packing (every block the driver packs,
/// in the driver's order and block sizes) and the remainder (microkernel, edges, loops). Interleaved, medians.
/// </summary>
internal static unsafe class Bf16Parts
{
    public static int Run(string[] args)
    {
        var sizes = args.Skip(1).Select(int.Parse).ToList();
        if (sizes.Count == 0) sizes.AddRange([256, 512, 1024, 2048]);
        CpuThreads.Count = 1;
        Console.WriteLine("one thread, ms per call (median): whole | pack A | pack B | rest");
        foreach (int n in sizes) One(n);
        return 0;
    }

    private static void One(int n)
    {
        var x = Tensor.RandN([n, n], 1); var w = Tensor.RandN([n, n], 2);
        var wb = new ushort[(long)n * n];
        DTypeConvert.FloatToBf16(new ReadOnlySpan<float>(w.Ptr<float>(), n * n), wb);
        var c = Tensor.Zeros([n, n]);
        float* px = x.Ptr<float>(), pw = w.Ptr<float>(), pc = c.Ptr<float>();
        int KC = GemmBlocking.Balanced(n, GemmTuning.Current.KcF32), KP = (KC + 1) / 2;
        var bl = GemmBlocking.Of<float>(12, 32);
        fixed (ushort* pwb = wb)
        {
            ushort* pb = pwb;
            int NCb = GemmBlocking.Balanced(n, 512, 32), MC = GemmBlocking.Balanced(n, 1536, 12);
            int NCf = GemmBlocking.Balanced(n, bl.NC, 32), MCf = GemmBlocking.Balanced(n, bl.MC, 12);
            var ap = (uint*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((long)MC * KP * 4), 64);
            var bp = (uint*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((long)NCb * KP * 4), 64);
            var af = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((long)MCf * KC * 4), 64);
            var bf = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)((long)NCf * KC * 4), 64);
            void Whole() => Gemm.RunBf16Dot(true, false, true, n, n, n, 1f, px, n, pb, n, 0f, pc, n, 1);
            void PackA() { for (int ic = 0; ic < n; ic += MC) for (int p = 0; p < n; p += KC) Bf16Pack.A(false, px, n, ic, Math.Min(MC, n - ic), p, Math.Min(KC, n - p), ap); }
            void PackB() { for (int ic = 0; ic < n; ic += MC) for (int p = 0; p < n; p += KC) for (int j = 0; j < n; j += NCb) Bf16Pack.B(true, pb, n, p, Math.Min(KC, n - p), j, Math.Min(NCb, n - j), bp); }
            void WholeF() => Gemm.Run(false, true, n, n, n, 1f, px, n, pw, n, 0f, pc, n, 1);
            var db = new DenseB<float>(pw, n, true);
            void PackAF() { for (int ic = 0; ic < n; ic += MCf) for (int p = 0; p < n; p += KC) GemmPackA.Pack(false, px, n, ic, Math.Min(MCf, n - ic), p, Math.Min(KC, n - p), 12, af); }
            void PackBF() { for (int ic = 0; ic < n; ic += MCf) for (int p = 0; p < n; p += KC) for (int j = 0; j < n; j += NCf) db.Pack(p, Math.Min(KC, n - p), j, Math.Min(NCf, n - j), 32, bf); }
            Action[] parts = [Whole, PackA, PackB, WholeF, PackAF, PackBF];
            int rounds = (int)Math.Clamp(40e9 / (2.0 * n * n * n), 5, 200);
            var t = new double[parts.Length][];
            for (int i = 0; i < parts.Length; i++) { t[i] = new double[rounds]; parts[i](); parts[i](); }
            for (int r = 0; r < rounds; r++)
                for (int i = 0; i < parts.Length; i++)
                {
                    var sw = System.Diagnostics.Stopwatch.StartNew(); parts[i](); t[i][r] = sw.Elapsed.TotalMilliseconds;
                }
            double[] med = t.Select(v => { Array.Sort(v); return v[rounds / 2]; }).ToArray();
            double g = 2.0 * n * n * (double)n / 1e6;
            Console.WriteLine($"n={n,5} bf16 {med[0],8:F3} | {med[1],7:F3} | {med[2],7:F3} | {med[0] - med[1] - med[2],8:F3}  ({g / med[0]:F0} GFLOP/s; rest alone {g / (med[0] - med[1] - med[2]):F0})");
            Console.WriteLine($"        f32  {med[3],8:F3} | {med[4],7:F3} | {med[5],7:F3} | {med[3] - med[4] - med[5],8:F3}  ({g / med[3]:F0} GFLOP/s; rest alone {g / (med[3] - med[4] - med[5]):F0}); ratio whole {med[3] / med[0]:F2}, rest {(med[3] - med[4] - med[5]) / (med[0] - med[1] - med[2]):F2}");
        }
    }
}
