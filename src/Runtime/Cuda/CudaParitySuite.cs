using Engine.Runtime.Cpu;

namespace Engine.Runtime.Cuda;

/// <summary>
/// Every CUDA kernel against its CPU reference on fresh random inputs (odd sizes, poisoned outputs).
/// `engine doctor --device cuda` prints the table and fails on any row over tolerance or any NaN.
/// </summary>
public static partial class CudaParitySuite
{
    public sealed record Row(string Op, string Shape, double MaxRelError, double Tolerance)
    {
        public bool Pass => MaxRelError <= Tolerance && !double.IsNaN(MaxRelError);
    }

    public static IReadOnlyList<Row> Run(CudaDevice dev, ulong seed)
    {
        var rows = new List<Row>();
        foreach (var n in new[] { 1, 1000, 65_537 })
        {
            var a = Tensor.RandN([n], seed + 1).ToArray<float>();
            var b = Tensor.RandN([n], seed + 2).ToArray<float>().Select(v => v + (v >= 0 ? 0.5f : -0.5f)).ToArray(); // no division by ~0
            using var da = CudaBuffer<float>.From(dev, a);
            using var db = CudaBuffer<float>.From(dev, b);
            foreach (var op in Enum.GetValues<BinaryOp>())
            {
                using var dy = new CudaBuffer<float>(dev, n);
                dev.Launch1D("elementwise.cu", "binary_f32", n, (int)op, da.Ptr, db.Ptr, dy.Ptr, (long)n);
                var want = new float[n];
                for (int i = 0; i < n; i++) want[i] = op switch { BinaryOp.Add => a[i] + b[i], BinaryOp.Sub => a[i] - b[i], BinaryOp.Mul => a[i] * b[i], _ => a[i] / b[i] };
                rows.Add(new Row($"binary.{op}", $"[{n}]", RelError(want, dy.ToArray()), 1e-6));
            }
            foreach (var op in Enum.GetValues<UnaryOp>())
            {
                var x = op is UnaryOp.Log or UnaryOp.Sqrt ? a.Select(v => Math.Abs(v) + 0.1f).ToArray() : a;
                using var dx = CudaBuffer<float>.From(dev, x);
                using var dy = new CudaBuffer<float>(dev, n);
                dev.Launch1D("elementwise.cu", "unary_f32", n, (int)op, dx.Ptr, dy.Ptr, (long)n);
                // Reference in float64: the CPU's vectorised f32 tanh is ~5e-5 off near 0, the GPU's tanhf is not.
                var want64 = new double[n];
                CpuElementwise.Unary<double>(op, x.Select(v => (double)v).ToArray(), want64);
                var want = want64.Select(v => (float)v).ToArray();
                rows.Add(new Row($"unary.{op}", $"[{n}]", RelError(want, dy.ToArray()), 1e-5));
            }
            using (var dbf = new CudaBuffer<ushort>(dev, n))
            {
                dev.Launch1D("elementwise.cu", "cast_f32_bf16", n, da.Ptr, dbf.Ptr, (long)n);
                var got = dbf.ToArray();
                var want = new ushort[n];
                DTypeConvert.FloatToBf16(a, want);
                rows.Add(new Row("cast.f32→bf16", $"[{n}]", got.SequenceEqual(want) ? 0 : 1, 0));
            }
            using (var dw = new CudaBuffer<uint>(dev, n))
            {
                dev.Launch1D("elementwise.cu", "philox_words", n, seed, 17UL, dw.Ptr, (long)n);
                var want = new uint[n];
                Philox.Fill(seed, 17, want);
                rows.Add(new Row("philox.words", $"[{n}]", dw.ToArray().SequenceEqual(want) ? 0 : 1, 0));
            }
        }
        RowKernels(dev, seed, rows);
        GemmRows(dev, seed, rows);
        LtAndStreamRows(dev, seed, rows);
        TransformerOps(seed, rows, dev.Ordinal);
        BackwardOps(seed, rows, dev.Ordinal);
        RegularizerOps(seed, rows, dev.Ordinal);
        HardConcreteOps(seed, rows, dev.Ordinal);
        MixedPrecisionRows(seed, rows, dev.Ordinal);
        FlashAttentionRows(seed, rows, dev.Ordinal);
        SamplingRows(seed, rows, dev.Ordinal);
        HalfRows(seed, rows, dev.Ordinal);
        ConvRows(seed, rows, dev.Ordinal);
        return rows;
    }

    /// <summary>
    /// The f32 tolerance for every f32 row (the bound). Elements are compared relative to their own magnitude,
    /// or to the tensor's mean magnitude where they are smaller than that (see <see cref="RelError"/>).
    /// </summary>
    public const double F32 = 1e-5;

    /// <summary>
    /// max_i |want_i − got_i| / max(|want_i|, mean_j |want_j|); NaN when an output is NaN/inf where want is finite.
    /// The floor at the mean magnitude is what makes a relative bound meaningful for outputs formed by cancellation
    /// (norm/softmax backward, attention's dS = P∘(dP − δ), reductions of random-sign terms): their near-zero elements
    /// carry the rounding of the O(mean) terms they were summed from, on the CPU reference as much as on the GPU.
    /// A wrong element (a missed key, a skipped row, a wrong index) is off by O(mean) or more and fails by orders of magnitude.
    /// </summary>
    public static double RelError(float[] want, float[] got)
    {
        double floor = 0;
        foreach (var v in want) if (float.IsFinite(v)) floor += Math.Abs((double)v);
        floor = want.Length == 0 ? 1 : Math.Max(floor / want.Length, double.Epsilon);
        double worst = 0;
        for (int i = 0; i < want.Length; i++)
        {
            if (want[i] == got[i]) continue; // exact, including equal infinities (where want − got is NaN)
            if (!float.IsFinite(got[i]) && float.IsFinite(want[i])) return double.NaN;
            worst = Math.Max(worst, Math.Abs(want[i] - got[i]) / Math.Max(Math.Abs(want[i]), floor));
        }
        return worst;
    }
}
