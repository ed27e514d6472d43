namespace Engine.Runtime.Cpu;

/// <summary>The bf16 × bf16 → f32 entry points (VDPBF16PS where the CPU has it); see Bf16Gemm for the arithmetic.</summary>
public static unsafe partial class Gemm
{
    /// <summary>
    /// f32 activations × bf16 weights, the inference and frozen-base case: runs the bf16 dot-product GEMM (f32
    /// accumulation) when <see cref="Bf16Compute.Active"/> and the activations are bf16-exact (autocast), else <see cref="SgemmBf16B"/> (weights
    /// widened to f32, activations kept in f32: the reference). On bf16-exact activations both give the same bytes
    /// (same summation order, see Bf16Pack), so the choice is one of speed only. x·Wᵀ with 1–4 rows (decode) streams W
    /// through Bf16Gemv (f32 activations, weights widened in registers); tiny and skinny (2–8 rows) shapes keep the
    /// widening path, whose small-shape kernels sum in another order, and so do products under <see cref="MinDotWork"/>
    /// multiply-adds, where the dot path was measured slower.
    /// </summary>
    public static void SgemmBf16Weights(bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc)
        => Bf16Weights(Bf16Compute.Active, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// Fewest multiply-adds for which the dot path beat the widening path (gemm-bf16, Zen 5, 1 thread, bench/results/cpu-bf16.md):
    /// below it a fixed per-call cost (~3 µs: scalar packing of depths under 32, edge tiles) outweighs the kernel; slower
    /// measured: 16×16×17, 20³, 16×16×32, 24³ (13 824); faster: 16×16×64 (16 384), 16×32×32, 32³ and everything larger.
    /// </summary>
    internal const long MinDotWork = 1L << 14;

    /// <summary>Shapes the dot path takes (given bf16-exact activations): past the GEMV, skinny and tiny routes, and at least MinDotWork.</summary>
    internal static bool DotSuits(int m, int n, int k) => (long)m * n * k >= MinDotWork && !GemmSmall.Suits(m, n, k) && !GemmSkinny.Suits<float>(m);

    /// <summary>The kernels <see cref="Bf16Weights"/> can route a product to.</summary>
    internal enum Bf16Route { Gemv, Dot, Widen }

    /// <summary>
    /// The route Bf16Weights takes, and nothing else: a pure function of the operands, so a test can tell which path a
    /// product takes (the dot and widening paths give the same bytes) without a counter on the per-call path.
    /// </summary>
    internal static Bf16Route Bf16RouteOf(bool dot, bool transA, bool transB, int m, int n, int k, float* a, int lda)
    {
        if (Bf16Gemv.Suits(transA, transB, m) && k > 0) return Bf16Route.Gemv;
        if (dot && DotSuits(m, n, k) && Bf16Exact(transA, m, k, a, lda)) return Bf16Route.Dot;
        return Bf16Route.Widen;
    }

    /// <summary>SgemmBf16Weights with the choice of the dot-product kernel made by the caller (tests do not flip the global switch).</summary>
    internal static void Bf16Weights(bool dot, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc)
        => Bf16Weights(Bf16RouteOf(dot, transA, transB, m, n, k, a, lda), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>The product on a given route (tests force each one; Bf16RouteOf says which the entry takes).</summary>
    internal static void Bf16Weights(Bf16Route route, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, ushort* b, int ldb, float beta, float* c, int ldc)
    {
        switch (route)
        {
            case Bf16Route.Gemv:
                Validate<float>(transA, transB, m, n, k, lda, ldb, ldc);
                Bf16Gemv.Run(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CpuThreads.Count);
                break;
            case Bf16Route.Dot:
                RunBf16Dot(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, CpuThreads.Count);
                break;
            default:
                SgemmBf16B(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                break;
        }
    }

    /// <summary>
    /// True when every element of op(A) is already a bf16 value (low 16 bits zero), as autocast leaves activations:
    /// then the kernel's rounding of A changes nothing and only the summation order differs from the widening path.
    /// f32 activations (a matmul kept in f32 on purpose) keep the widening path. One pass over A, O(m·k).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static bool Bf16Exact(bool transA, int m, int k, float* a, int lda)
    {
        int rows = transA ? k : m, len = transA ? m : k;
        for (int r = 0; r < rows; r++)
        {
            uint* row = (uint*)(a + (long)r * lda);
            int i = 0;
            if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
            {
                var low = System.Runtime.Intrinsics.Vector512.Create(0xFFFFu);
                for (; i + 16 <= len; i += 16)
                    if ((System.Runtime.Intrinsics.Vector512.Load(row + i) & low) != System.Runtime.Intrinsics.Vector512<uint>.Zero) return false;
            }
            for (; i < len; i++) if ((row[i] & 0xFFFFu) != 0) return false;
        }
        return true;
    }

    /// <summary>The bf16 dot-product GEMM with the kernel (machine code or managed) and thread count pinned (tests, benchmarks).</summary>
    internal static void RunBf16Dot(bool native, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda, ushort* b, int ldb,
        float beta, float* c, int ldc, int threads)
    {
        Validate<float>(transA, transB, m, n, k, lda, ldb, ldc);
        if (native && !Bf16Kernel.NativeSupported)
            throw new PlatformNotSupportedException($"gemm: the VDPBF16PS kernel is unavailable: {Bf16Kernel.UnavailableReason}");
        if (m == 0 || n == 0) return;
        if (k == 0 || alpha == 0f) { ScaleC(m, n, beta, c, ldc); return; }
        Bf16Gemm.Run(native, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, threads);
    }
}
