using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using Engine.Runtime.Cuda;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.MatMul;

/// <summary>
/// Matrix products (no kernels/ file: cuBLAS and cuBLASLt on CUDA, Cpu/MatMul on the CPU): MatMul in f32/bf16/f16 for every
/// transpose combination, the autocast MixedMatMul and Linear, and cuBLASLt's own paths (f32, bias epilogue, batches).
/// </summary>
public static class MatMulCases
{
    private const string Family = "MatMul";
    private static readonly (int M, int N, int K)[] Shapes = [(1, 1, 1), (67, 35, 129), (256, 512, 320)];
    private static readonly (bool A, bool B)[] Transposes = [(false, false), (true, false), (false, true), (true, true)];

    public static IEnumerable<OpCase> All()
    {
        foreach (var (m, n, k) in Shapes)
            foreach (var (ta, tb) in Transposes)
            {
                yield return Gemm("gemm.f32 (cuBLAS)", DType.F32, m, n, k, ta, tb);
                yield return Gemm("gemm.bf16→f32 (cuBLAS)", DType.BF16, m, n, k, ta, tb);
                yield return Lt(m, n, k, ta, tb);
                yield return Gemm("matmul.bf16→bf16 (cuBLASLt)", DType.BF16, m, n, k, ta, tb);
            }
        yield return LtBatched();
        yield return Mixed("mixedmatmul.bf16→f32 B shared Bᵀ", "[3,37,65]·[29,65]ᵀ", [3, 37, 65], [29, 65], false, true);
        yield return Mixed("mixedmatmul.bf16→f32 B shared", "[3,37,65]·[65,29]", [3, 37, 65], [65, 29], false, false);
        yield return Mixed("mixedmatmul.bf16→f32 batched Aᵀ", "[3,65,37]ᵀ·[3,65,21]", [3, 65, 37], [3, 65, 21], true, false);
        yield return AutocastLinear();
        foreach (var (m, n, k) in new[] { (67, 35, 129), (5, 300, 64) }) yield return GemmF16(m, n, k);
    }

    private static string ShapeOf(int m, int n, int k, bool ta, bool tb) => $"{m}x{n}x{k}{(ta ? " Aᵀ" : "")}{(tb ? " Bᵀ" : "")}";

    private static Tensor[] Operands(ulong s, int m, int n, int k, bool ta, bool tb) =>
        [N(s, ta ? k : m, ta ? m : k), N(s + 1, tb ? n : k, tb ? k : n)];

    /// <summary>MatMul (F32: cuBLAS GEMM; BF16: cuBLASLt, bf16 output) or, for "bf16→f32", the autocast MixedMatMul.</summary>
    private static OpCase Gemm(string row, DType dtype, int m, int n, int k, bool ta, bool tb)
    {
        bool mixed = row.StartsWith("gemm.bf16", StringComparison.Ordinal);
        return new OpCase
        {
            Family = Family, Name = row, Shape = ShapeOf(m, n, k, ta, tb), Op = mixed ? BackendOp.MixedMatMul : BackendOp.MatMul, DType = dtype,
            Inputs = s => dtype == DType.F32 ? Operands(s, m, n, k, ta, tb) : Operands(s, m, n, k, ta, tb).Select(Bf16).ToArray(),
            Run = t => [Rel(row, mixed ? Be(t).MixedMatMul(t[0], t[1], ta, tb) : Be(t).MatMul(t[0], t[1], ta, tb), dtype == DType.F32 ? Check.F32 : Check.Half)],
            Reference = t => [Ref(row, MatMulReference.Gemm(ta, tb, m, n, k, D(t[0]), D(t[1])))],
            Gradient = dtype == DType.F32 && m == 67
                ? new Gradient(x => Ops.MatMul(ta ? x[0].Transpose(0, 1) : x[0], tb ? x[1].Transpose(0, 1) : x[1]), [0, 1]) : null,
            Flops = 2.0 * m * n * k,
        };
    }

    private static readonly Dictionary<int, CudaBlasLt?> LtByDevice = [];

    /// <summary>cuBLASLt on the tensors' device, or a skip when it does not load there.</summary>
    private static CudaBlasLt LtFor(Tensor t)
    {
        lock (LtByDevice)
        {
            if (!LtByDevice.TryGetValue(t.Device.Index, out var lt))
            {
                lt = CudaBlasLt.TryCreate(CudaDevice.Get(t.Device.Index), out var why);
                LtByDevice[t.Device.Index] = lt;
                if (lt is null) throw new CaseSkippedException($"cuBLASLt did not load: {why}");
            }
            return lt ?? throw new CaseSkippedException("cuBLASLt did not load on this device");
        }
    }

    private static unsafe ulong Addr(Tensor t) => (ulong)t.RawPointer;

    /// <summary>cuBLASLt called directly (the backend's MatMul uses it only for bf16): f32, f32 with the bias epilogue, bf16 → f32.</summary>
    private static OpCase Lt(int m, int n, int k, bool ta, bool tb) => new()
    {
        Family = Family, Name = "matmul (cuBLASLt)", Shape = ShapeOf(m, n, k, ta, tb), Op = BackendOp.MatMul, DType = DType.F32, DeviceOnly = true,
        Inputs = s => [.. Operands(s, m, n, k, ta, tb), N(s + 2, n)],
        Run = t =>
        {
            var lt = LtFor(t[0]);
            int lda = t[0].Size(1), ldb = t[1].Size(1);
            var c = Tensor.Empty([m, n], DType.F32, t[0].Device);
            var cb = Tensor.Empty([m, n], DType.F32, t[0].Device);
            lt.Matmul(ta, tb, m, n, k, 1f, Addr(t[0]), lda, Addr(t[1]), ldb, 0f, Addr(c), n, DType.F32, DType.F32);
            lt.Matmul(ta, tb, m, n, k, 1f, Addr(t[0]), lda, Addr(t[1]), ldb, 0f, Addr(cb), n, DType.F32, DType.F32, bias: Addr(t[2]));
            var a16 = Bf16(t[0]); var b16 = Bf16(t[1]);
            var c16 = Tensor.Empty([m, n], DType.F32, t[0].Device);
            lt.Matmul(ta, tb, m, n, k, 1f, Addr(a16), lda, Addr(b16), ldb, 0f, Addr(c16), n, DType.BF16, DType.F32);
            return [Rel("matmul.f32 (cuBLASLt)", c), Rel("matmul.f32+bias (cuBLASLt)", cb), Rel("matmul.bf16→f32 (cuBLASLt)", c16, Check.Half)];
        },
        Expected = t =>
        {
            var want = MatMulReference.Gemm(ta, tb, m, n, k, D(t[0]), D(t[1]));
            var bias = D(t[2]);
            var wantBf = MatMulReference.Gemm(ta, tb, m, n, k, D(Bf16(t[0])), D(Bf16(t[1])));
            return [Rel("matmul.f32 (cuBLASLt)", Host(want)), Rel("matmul.f32+bias (cuBLASLt)", Host(want.Select((v, i) => v + bias[i % n]).ToArray())),
                Rel("matmul.bf16→f32 (cuBLASLt)", Host(wantBf), Check.Half)];
        },
        Flops = 6.0 * m * n * k,
    };

    private static OpCase LtBatched() => new()
    {
        Family = Family, Name = "matmul.f32 batched (cuBLASLt)", Shape = "3x33x29x17", Op = BackendOp.MatMul, DType = DType.F32, DeviceOnly = true,
        Inputs = s => [N(s, 3, 33, 17), N(s + 1, 3, 17, 29)],
        Run = t =>
        {
            var c = Tensor.Empty([3, 33, 29], DType.F32, t[0].Device);
            LtFor(t[0]).Matmul(false, false, 33, 29, 17, 1f, Addr(t[0]), 17, Addr(t[1]), 29, 0f, Addr(c), 29, DType.F32, DType.F32,
                batch: 3, strideA: 33 * 17, strideB: 17 * 29, strideC: 33 * 29);
            return [Rel("matmul.f32 batched (cuBLASLt)", c)];
        },
        Expected = t => [Rel("matmul.f32 batched (cuBLASLt)", Host(MatMulReference.Batched(3, false, false, 33, 29, 17, D(t[0]), D(t[1]), sharedB: false)))],
        Flops = 2.0 * 3 * 33 * 29 * 17,
    };

    private static OpCase Mixed(string row, string shape, int[] a, int[] b, bool ta, bool tb) => new()
    {
        Family = Family, Name = row, Shape = shape, Op = BackendOp.MixedMatMul, DType = DType.BF16,
        Inputs = s => [Bf16(N(s, a)), Bf16(N(s + 1, b))],
        Run = t => [Rel(row, Be(t).MixedMatMul(t[0], t[1], ta, tb), Check.Half)],
        Reference = t =>
        {
            int batch = a[0], m = ta ? a[2] : a[1], k = ta ? a[1] : a[2], n = tb ? b[^2] : b[^1];
            return [Ref(row, MatMulReference.Batched(batch, ta, tb, m, n, k, D(t[0]), D(t[1]), sharedB: b.Length == 2))];
        },
    };

    /// <summary>Linear under bf16 autocast through Ops and the tape: forward, dX and dW with f32 masters on both devices.</summary>
    private static OpCase AutocastLinear() => new()
    {
        Family = Family, Name = "autocast.linear", Shape = "[2,9,48]·[31,48]ᵀ", Op = BackendOp.MixedMatMul, DType = DType.BF16,
        Inputs = s => [N(s, 2, 9, 48), N(s + 1, 31, 48), N(s + 2, 2, 9, 31)],
        Run = t =>
        {
            var x = Leaf(t[0]); var w = Leaf(t[1]);
            Tensor y;
            using (Autocast.Enable())
            {
                y = Ops.Linear(x, w);
                y.Backward(t[2]);
            }
            return [Rel("autocast.linear.fwd", y, Check.Half), Rel("autocast.linear.dX", x.Grad!, Check.Half, "[2,9,31]·[31,48]"),
                Rel("autocast.linear.dW", w.Grad!, Check.Half, "[18,31]ᵀ·[18,48]")];
        },
    };

    private static OpCase GemmF16(int m, int n, int k) => new()
    {
        Family = Family, Name = "gemm.f16 (cuBLAS)", Shape = $"{m}x{n}x{k}", Op = BackendOp.MatMul, DType = DType.F16,
        Inputs = s => [N(s, m, k).To(DType.F16), N(s + 1, k, n).To(DType.F16)],
        Run = t => [Rel("gemm.f16 (cuBLAS)", Be(t).MatMul(t[0], t[1], false, false), Check.Half)],
        Reference = t => [Ref("gemm.f16 (cuBLAS)", MatMulReference.Gemm(false, false, m, n, k, D(t[0]), D(t[1])))],
        Flops = 2.0 * m * n * k,
    };
}
