namespace Engine.Runtime.Cuda;

/// <summary>
/// GPU timings that say whether the plumbing earns its place (timed with CUDA events, after a warm-up):
/// a chain of small kernels launched one by one vs replayed as one captured graph (a decode step is tens of such
/// launches), and bf16 GEMMs through cuBLASLt vs cublasGemmEx at Llama-like shapes. On the emulator the numbers
/// mean nothing (it says so); the code paths are the same.
/// </summary>
public static unsafe class CudaPlumbingBench
{
    public sealed record Line(string What, string Shape, double DirectUs, double AlternativeUs, string AlternativeName)
    {
        public override string ToString() => $"{What,-28} {Shape,-22} direct {DirectUs,10:F1} µs   {AlternativeName} {AlternativeUs,10:F1} µs   ×{DirectUs / Math.Max(AlternativeUs, 1e-9):F2}";
    }

    /// <param name="quick">Tiny shapes only: checks the code paths (emulator, CI) without real work.</param>
    public static IReadOnlyList<Line> Run(CudaDevice dev, int repeats = 20, bool quick = false)
    {
        var lines = new List<Line>();
        using var s = CudaStream.Create(dev);
        using (dev.UseStream(s))
        {
            foreach (var (kernels, n) in quick ? [(4, 300)] : new[] { (32, 4096), (128, 4096), (32, 1 << 20) })
                lines.Add(GraphVsLaunches(dev, s, kernels, n, repeats));
            using var lt = CudaBlasLt.TryCreate(dev, out var why);
            if (lt is not null)
                foreach (var (m, n, k) in quick ? [(3, 40, 24)] : new[] { (1, 4096, 4096), (16, 4096, 4096), (512, 4096, 4096), (2048, 11008, 4096) })
                    lines.Add(LtVsGemmEx(dev, s, lt, m, n, k, repeats));
        }
        return lines;
    }

    private static double TimeUs(CudaStream s, int repeats, Action body)
    {
        body(); // warm-up: module load, plan and heuristic caches
        s.Synchronize();
        using var a = CudaEvent.Create(s.Device, timing: true);
        using var b = CudaEvent.Create(s.Device, timing: true);
        a.Record(s);
        for (int i = 0; i < repeats; i++) body();
        b.Record(s);
        b.Synchronize();
        return CudaEvent.ElapsedMs(a, b) * 1000.0 / repeats;
    }

    private static Line GraphVsLaunches(CudaDevice dev, CudaStream s, int kernels, int n, int repeats)
    {
        using var x = new CudaBuffer<float>(dev, n);
        using var y = new CudaBuffer<float>(dev, n);
        s.Synchronize();
        void Chain()
        {
            for (int i = 0; i < kernels; i++)
                ElementwiseKernels.BinaryF32(s, Grid.Elements(n), (int)BinaryOp.Add, (i & 1) == 0 ? x.Ptr : y.Ptr, x.Ptr, (i & 1) == 0 ? y.Ptr : x.Ptr, n);
        }
        double direct = TimeUs(s, repeats, Chain);
        using var g = CudaGraph.Capture(s, Chain);
        double graph = TimeUs(s, repeats, () => g.Launch());
        return new Line("elementwise chain", $"{kernels} kernels × [{n}]", direct, graph, "graph");
    }

    private static Line LtVsGemmEx(CudaDevice dev, CudaStream s, CudaBlasLt lt, int m, int n, int k, int repeats)
    {
        using var a = new CudaBuffer<ushort>(dev, (long)m * k, poison: false);
        using var b = new CudaBuffer<ushort>(dev, (long)n * k, poison: false);
        using var c = new CudaBuffer<ushort>(dev, (long)m * n, poison: false);
        using var blas = new CudaBlas(dev);
        s.Synchronize();
        // y = x·Wᵀ as in a linear layer: A [m×k], B = W [n×k] transposed.
        double gemmEx = TimeUs(s, repeats, () => blas.Gemm(false, true, m, n, k, 1f, a.Address, k, b.Address, k, 0f, c.Address, n, DType.BF16, DType.BF16));
        double ltUs = TimeUs(s, repeats, () => lt.Matmul(false, true, m, n, k, 1f, a.Address, k, b.Address, k, 0f, c.Address, n, DType.BF16, DType.BF16));
        return new Line("bf16 GEMM (GemmEx vs Lt)", $"{m}x{n}x{k}", gemmEx, ltUs, "cuBLASLt");
    }
}
