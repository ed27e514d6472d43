using Engine.Runtime.Cpu;

namespace Engine.Runtime.Cuda;

/// <summary>cuBLAS GEMM (row-major wrapper) against the CPU GEMM, f32 and bf16 inputs, all transpose combinations.</summary>
public static unsafe partial class CudaParitySuite
{
    private static void GemmRows(CudaDevice dev, ulong seed, List<Row> rows)
    {
        using var blas = new CudaBlas(dev);
        foreach (var (m, n, k) in new[] { (1, 1, 1), (67, 35, 129), (256, 512, 320) })
            foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
            {
                var a = Tensor.RandN([ta ? k : m, ta ? m : k], seed + 21);
                var b = Tensor.RandN([tb ? n : k, tb ? k : n], seed + 22);
                int lda = a.Size(1), ldb = b.Size(1);
                var want = new float[m * n];
                fixed (float* c = want) Gemm.Sgemm(ta, tb, m, n, k, 1f, a.Ptr<float>(), lda, b.Ptr<float>(), ldb, 0f, c, n);
                string shape = $"{m}x{n}x{k}{(ta ? " Aᵀ" : "")}{(tb ? " Bᵀ" : "")}";
                using (var da = CudaBuffer<float>.From(dev, a.AsSpan<float>()))
                using (var db = CudaBuffer<float>.From(dev, b.AsSpan<float>()))
                using (var dc = new CudaBuffer<float>(dev, (long)m * n))
                {
                    blas.Gemm(ta, tb, m, n, k, 1f, da.Address, lda, db.Address, ldb, 0f, dc.Address, n, DType.F32, DType.F32);
                    rows.Add(new Row("gemm.f32 (cuBLAS)", shape, RelError(want, dc.ToArray()), 1e-5));
                }
                // bf16 inputs: the reference multiplies the same bf16-rounded values in f32.
                var ab = a.To(DType.BF16); var bb = b.To(DType.BF16);
                var a32 = ab.To(DType.F32); var b32 = bb.To(DType.F32);
                var wantBf = new float[m * n];
                fixed (float* c = wantBf) Gemm.Sgemm(ta, tb, m, n, k, 1f, a32.Ptr<float>(), lda, b32.Ptr<float>(), ldb, 0f, c, n);
                using (var da = CudaBuffer<ushort>.From(dev, ab.AsSpan<ushort>()))
                using (var db = CudaBuffer<ushort>.From(dev, bb.AsSpan<ushort>()))
                using (var dc = new CudaBuffer<float>(dev, (long)m * n))
                {
                    blas.Gemm(ta, tb, m, n, k, 1f, da.Address, lda, db.Address, ldb, 0f, dc.Address, n, DType.BF16, DType.F32);
                    rows.Add(new Row("gemm.bf16→f32 (cuBLAS)", shape, RelError(wantBf, dc.ToArray()), 1e-2));
                }
            }
    }
}
