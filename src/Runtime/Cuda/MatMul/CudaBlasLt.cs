using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// Row-major matmul through cuBLASLt, f32 accumulation: D[m×n] = alpha·op(A)·op(B) + beta·C (+ bias[n] broadcast
/// over rows), with A,B in f32 or bf16 and C/D in f32 or bf16 (bf16 inputs) or f32 (f32 inputs). Like
/// <see cref="CudaBlas"/>, cuBLASLt is column-major, so it computes Dᵀ = op(B)ᵀ·op(A)ᵀ on the same memory; the
/// row-major bias over columns is then cuBLASLt's bias over Dᵀ's rows (CUBLASLT_EPILOGUE_BIAS).
/// A plan (descriptors, layouts and the heuristic's algorithm) is cached per shape; the workspace comes from the
/// memory pool, one per stream.
/// </summary>
public sealed unsafe class CudaBlasLt : IDisposable
{
    /// <summary>32 MiB: what NVIDIA recommends for Hopper; enough for every Ampere algorithm too.</summary>
    public const long WorkspaceBytes = 32L << 20;

    private readonly CudaDevice _dev;
    private IntPtr _handle;
    private readonly Dictionary<PlanKey, Plan> _plans = [];
    private readonly Dictionary<CudaStream, (ulong address, long size)> _workspaces = [];

    private readonly record struct PlanKey(bool TransA, bool TransB, int M, int N, int K, int Lda, int Ldb, int Ldc, DType AB, DType C,
        bool Bias, int Batch, long StrideA, long StrideB, long StrideC, int AlignA, int AlignB, int AlignC);

    private sealed class Plan
    {
        public IntPtr Op, ALayout, BLayout, CLayout;
        public CuBlasLt.HeuristicResult Algo;
    }

    public static bool Disabled => Environment.GetEnvironmentVariable("ENGINE_CUBLASLT") == "0";

    private CudaBlasLt(CudaDevice dev, IntPtr handle) { _dev = dev; _handle = handle; }

    /// <summary>cuBLASLt for <paramref name="dev"/>, or null with the reason (library missing, ENGINE_CUBLASLT=0, create failed).</summary>
    public static CudaBlasLt? TryCreate(CudaDevice dev, out string reason)
    {
        if (Disabled) { reason = "cuBLASLt disabled (ENGINE_CUBLASLT=0)"; return null; }
        CudaLibraries.EnsureResolver();
        if (!CudaLibraries.TryLoad("cublasLt", out _, out var err)) { reason = "cuBLASLt not available: " + err; return null; }
        dev.MakeCurrent();
        IntPtr h;
        int rc = CuBlasLt.cublasLtCreate(&h);
        if (rc != 0) { reason = $"cublasLtCreate failed with status {rc}"; return null; }
        reason = $"cuBLASLt {CuBlasLt.cublasLtGetVersion()} ({CudaLibraries.Path_("cublasLt")})";
        return new CudaBlasLt(dev, h);
    }

    private static int TypeOf(DType t) => t switch
    {
        DType.F32 => CuBlas.R32F, DType.BF16 => CuBlas.R16BF,
        _ => throw new NotSupportedException($"cuBLASLt matmul on {t} is not supported here (F32, BF16)."),
    };

    /// <summary>Largest power of two ≤ 256 dividing the address: the alignment the heuristic must respect.</summary>
    internal static int AlignmentOf(ulong address) => address == 0 ? 256 : (int)Math.Min(256UL, address & (~address + 1));

    /// <param name="bias">Device address of n elements of <paramref name="cType"/> added to every row of D, or 0.</param>
    public void Matmul(bool transA, bool transB, int m, int n, int k, float alpha, ulong a, int lda, ulong b, int ldb, float beta, ulong c, int ldc,
        DType abType, DType cType, ulong bias = 0, int batch = 1, long strideA = 0, long strideB = 0, long strideC = 0)
    {
        if (abType == DType.F32 && cType != DType.F32) throw new NotSupportedException($"cuBLASLt: f32 inputs need an f32 output, not {cType}.");
        ObjectDisposedException.ThrowIf(_handle == IntPtr.Zero, this);
        _dev.MakeCurrent();
        var key = new PlanKey(transA, transB, m, n, k, lda, ldb, ldc, abType, cType, bias != 0, batch, strideA, strideB, strideC,
            AlignmentOf(a), AlignmentOf(b), AlignmentOf(c));
        var plan = GetPlan(key);
        var current = _dev.CurrentStream;
        var stream = current.Handle;
        var ws = Workspace(current);
        var algo = plan.Algo;
        // The bias pointer lives in the shared descriptor: set it and launch under the plan's lock.
        lock (plan)
        {
            if (bias != 0) Check(CuBlasLt.cublasLtMatmulDescSetAttribute(plan.Op, CuBlasLt.DescBiasPointer, &bias, (nuint)sizeof(ulong)), "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
            // Column-major view: "A" is our B, "B" is our A, C and D are Dᵀ (in place: D = C).
            Check(CuBlasLt.cublasLtMatmul(_handle, plan.Op, &alpha, b, plan.ALayout, a, plan.BLayout, &beta, c, plan.CLayout, c, plan.CLayout,
                algo.Algo, ws.address, (nuint)ws.size, stream), "cublasLtMatmul");
        }
    }

    private Plan GetPlan(PlanKey key)
    {
        lock (_plans)
        {
            if (_plans.TryGetValue(key, out var p)) return p;
            p = new Plan();
            try
            {
                int ab = TypeOf(key.AB), ct = TypeOf(key.C);
                IntPtr op;
                Check(CuBlasLt.cublasLtMatmulDescCreate(&op, CuBlas.Compute32F, CuBlas.R32F), "cublasLtMatmulDescCreate");
                p.Op = op;
                int ta = key.TransB ? CuBlas.OpT : CuBlas.OpN, tb = key.TransA ? CuBlas.OpT : CuBlas.OpN;
                Check(CuBlasLt.cublasLtMatmulDescSetAttribute(op, CuBlasLt.DescTransA, &ta, sizeof(int)), "cublasLtMatmulDescSetAttribute(TRANSA)");
                Check(CuBlasLt.cublasLtMatmulDescSetAttribute(op, CuBlasLt.DescTransB, &tb, sizeof(int)), "cublasLtMatmulDescSetAttribute(TRANSB)");
                uint epilogue = key.Bias ? CuBlasLt.EpilogueBias : CuBlasLt.EpilogueDefault;
                Check(CuBlasLt.cublasLtMatmulDescSetAttribute(op, CuBlasLt.DescEpilogue, &epilogue, sizeof(uint)), "cublasLtMatmulDescSetAttribute(EPILOGUE)");
                if (key.Bias)
                {
                    ulong placeholder = 256; // the real pointer is set per call; the heuristic only needs one present
                    Check(CuBlasLt.cublasLtMatmulDescSetAttribute(op, CuBlasLt.DescBiasPointer, &placeholder, sizeof(ulong)), "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
                }
                // Stored shapes (column-major): our B is n×k (k×n if transB), our A is k×m (m×k if transA), D is n×m.
                p.ALayout = Layout(ab, key.TransB ? key.K : key.N, key.TransB ? key.N : key.K, key.Ldb, key.Batch, key.StrideB);
                p.BLayout = Layout(ab, key.TransA ? key.M : key.K, key.TransA ? key.K : key.M, key.Lda, key.Batch, key.StrideA);
                p.CLayout = Layout(ct, key.N, key.M, key.Ldc, key.Batch, key.StrideC);
                p.Algo = Heuristic(p, key);
            }
            catch { Destroy(p); throw; }
            return _plans[key] = p;
        }
    }

    private static IntPtr Layout(int type, int rows, int cols, int ld, int batch, long stride)
    {
        IntPtr l;
        Check(CuBlasLt.cublasLtMatrixLayoutCreate(&l, type, (ulong)rows, (ulong)cols, ld), "cublasLtMatrixLayoutCreate");
        if (batch > 1)
        {
            Check(CuBlasLt.cublasLtMatrixLayoutSetAttribute(l, CuBlasLt.LayoutBatchCount, &batch, sizeof(int)), "cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)");
            Check(CuBlasLt.cublasLtMatrixLayoutSetAttribute(l, CuBlasLt.LayoutStridedBatchOffset, &stride, sizeof(long)), "cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)");
        }
        return l;
    }

    private CuBlasLt.HeuristicResult Heuristic(Plan p, PlanKey key)
    {
        IntPtr pref;
        Check(CuBlasLt.cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
        try
        {
            ulong ws = WorkspaceBytes;
            Check(CuBlasLt.cublasLtMatmulPreferenceSetAttribute(pref, CuBlasLt.PrefMaxWorkspaceBytes, &ws, sizeof(ulong)), "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
            uint aa = (uint)key.AlignB, ba = (uint)key.AlignA, ca = (uint)key.AlignC; // swapped like the operands
            Check(CuBlasLt.cublasLtMatmulPreferenceSetAttribute(pref, CuBlasLt.PrefMinAlignmentA, &aa, sizeof(uint)), "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT_A)");
            Check(CuBlasLt.cublasLtMatmulPreferenceSetAttribute(pref, CuBlasLt.PrefMinAlignmentB, &ba, sizeof(uint)), "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT_B)");
            Check(CuBlasLt.cublasLtMatmulPreferenceSetAttribute(pref, CuBlasLt.PrefMinAlignmentC, &ca, sizeof(uint)), "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT_C)");
            Check(CuBlasLt.cublasLtMatmulPreferenceSetAttribute(pref, CuBlasLt.PrefMinAlignmentD, &ca, sizeof(uint)), "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT_D)");
            CuBlasLt.HeuristicResult r;
            int found = 0;
            Check(CuBlasLt.cublasLtMatmulAlgoGetHeuristic(_handle, p.Op, p.ALayout, p.BLayout, p.CLayout, p.CLayout, pref, 1, &r, &found), "cublasLtMatmulAlgoGetHeuristic");
            if (found < 1 || r.State != 0)
                throw new CudaException($"cuBLASLt has no algorithm for {key.AB}×{key.AB}→{key.C} m={key.M} n={key.N} k={key.K} batch={key.Batch}{(key.Bias ? " with bias" : "")}.");
            return r;
        }
        finally { CuBlasLt.cublasLtMatmulPreferenceDestroy(pref); }
    }

    /// <summary>The stream's workspace; returned to the pool when the stream is disposed (or with this object).</summary>
    private (ulong address, long size) Workspace(CudaStream stream)
    {
        lock (_workspaces)
        {
            if (_workspaces.TryGetValue(stream, out var w)) return w;
            stream.Disposing += ReleaseWorkspace;
            return _workspaces[stream] = _dev.Memory.Allocate(WorkspaceBytes, stream.Handle);
        }
    }

    private void ReleaseWorkspace(CudaStream stream)
    {
        lock (_workspaces)
        {
            if (!_workspaces.Remove(stream, out var w)) return;
            stream.Disposing -= ReleaseWorkspace;
            _dev.Memory.Free(w.address, w.size, stream.Handle);
        }
    }

    private static void Destroy(Plan p)
    {
        if (p.ALayout != 0) CuBlasLt.cublasLtMatrixLayoutDestroy(p.ALayout);
        if (p.BLayout != 0) CuBlasLt.cublasLtMatrixLayoutDestroy(p.BLayout);
        if (p.CLayout != 0) CuBlasLt.cublasLtMatrixLayoutDestroy(p.CLayout);
        if (p.Op != 0) CuBlasLt.cublasLtMatmulDescDestroy(p.Op);
    }

    private static void Check(int status, string call) => CuBlas.Check(status, call);

    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        foreach (var p in _plans.Values) Destroy(p);
        _plans.Clear();
        foreach (var s in _workspaces.Keys.ToArray()) ReleaseWorkspace(s);
        CuBlasLt.cublasLtDestroy(_handle);
        _handle = IntPtr.Zero;
    }
}
