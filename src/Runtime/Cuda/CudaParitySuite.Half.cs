namespace Engine.Runtime.Cuda;

/// <summary>IEEE half: the f32↔f16 cast kernels bit for bit against the CPU's conversion, and f16 GEMM through cuBLAS.</summary>
public static partial class CudaParitySuite
{
    private static void HalfRows(ulong seed, List<Row> rows, int ordinal)
    {
        var cpu = Backend.Cpu;
        var gpu = CudaBackend.Get(ordinal);
        var dev = Device.Cuda(ordinal);

        // f32 → f16 across the normal range, the subnormal range, overflow, and the exact rounding boundaries.
        float[] special = [0f, -0f, float.PositiveInfinity, float.NegativeInfinity, 65504f, 65519.99f, 65520f, -65520f, 1e9f,
            MathF.Pow(2, -14), MathF.Pow(2, -24), MathF.Pow(2, -25), MathF.Pow(2, -25) * 1.0000001f, MathF.Pow(2, -24) * 1.5f,
            MathF.Pow(2, -24) * 2.5f, 1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 1e-9f];
        foreach (var (scale, name) in new[] { (1f, "normal"), (3e-5f, "subnormal"), (4e4f, "overflow") })
        {
            var x = Tensor.RandN([4099], seed + 201).ToArray<float>().Select(v => v * scale).Concat(special).ToArray();
            var xt = Tensor.FromArray(x, x.Length);
            var want = cpu.Cast(xt, DType.F16).ToArray<Half>().Select(BitConverter.HalfToUInt16Bits).ToArray();
            var got = gpu.Cast(xt.To(dev), DType.F16).To(Device.Cpu).ToArray<Half>().Select(BitConverter.HalfToUInt16Bits).ToArray();
            rows.Add(new Row($"cast.f32→f16 ({name})", $"[{x.Length}]", want.Zip(got).Count(p => p.First != p.Second), 0));
        }

        // f16 → f32 for every non-NaN bit pattern.
        var all = Enumerable.Range(0, 65536).Select(i => (ushort)i).Where(h => (h & 0x7c00) != 0x7c00 || (h & 0x3ff) == 0)
            .Select(BitConverter.UInt16BitsToHalf).ToArray();
        var ht = Tensor.FromArray(all, all.Length);
        var wantF = cpu.Cast(ht, DType.F32).ToArray<float>().Select(BitConverter.SingleToUInt32Bits).ToArray();
        var gotF = gpu.Cast(ht.To(dev), DType.F32).To(Device.Cpu).ToArray<float>().Select(BitConverter.SingleToUInt32Bits).ToArray();
        rows.Add(new Row("cast.f16→f32 (all non-NaN)", $"[{all.Length}]", wantF.Zip(gotF).Count(p => p.First != p.Second), 0));

        // f16 GEMM (f32 accumulation, f16 output) against the CPU product of the same f16 values.
        foreach (var (m, n, k) in new[] { (67, 35, 129), (5, 300, 64) })
        {
            var a = cpu.Cast(Tensor.RandN([m, k], seed + 211), DType.F16);
            var b = cpu.Cast(Tensor.RandN([k, n], seed + 212), DType.F16);
            var want = cpu.MatMul(cpu.Cast(a, DType.F32), cpu.Cast(b, DType.F32), false, false).ToArray<float>();
            var got = cpu.Cast(gpu.MatMul(a.To(dev), b.To(dev), false, false).To(Device.Cpu), DType.F32).ToArray<float>();
            rows.Add(new Row("gemm.f16 (cuBLAS)", $"{m}x{n}x{k}", RelError(want, got), 1e-2));
        }
    }
}
