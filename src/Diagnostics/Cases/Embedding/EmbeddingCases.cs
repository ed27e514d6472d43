using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Embedding;

/// <summary>The embedding gather (f32 and bf16 tables, I64 and I32 ids) and its deterministic gradient (kernels/embedding.cu).</summary>
public static class EmbeddingCases
{
    private const string Family = "Embedding";

    public static IEnumerable<OpCase> All()
    {
        yield return Gather("embedding.fwd", "[37, 24] ← [2, 3]", DType.F32, [37, 24], [0, 36, 5, 5, 17, 2], [2, 3], DType.I64);
        yield return Gather("embedding.fwd i32 ids", "[37, 24] ← [2, 3]", DType.F32, [37, 24], [0, 36, 5, 5, 17, 2], [2, 3], DType.I32);
        yield return Gather("embedding.fwd bf16 table", "[41, 26] ← [7]", DType.BF16, [41, 26], [0, 40, 7, 7, 19, 3, 22], [7], DType.I64);
        yield return Backward();
    }

    private static Tensor IdTensor(long[] ids, int[] shape, DType dtype) =>
        dtype == DType.I64 ? Tensor.FromArray(ids, shape) : Tensor.FromArray(ids.Select(i => (int)i).ToArray(), shape);

    /// <summary>Rows picked exactly (a bf16 table is widened exactly), repeats included.</summary>
    private static OpCase Gather(string row, string shape, DType table, int[] weight, long[] ids, int[] idShape, DType idType) => new()
    {
        Family = Family, Name = row, Shape = shape, Op = BackendOp.Embedding, DType = table,
        Inputs = s => [table == DType.BF16 ? Bf16(N(s, weight)) : N(s, weight), IdTensor(ids, idShape, idType)],
        Run = t => [Exact(row, Be(t).Embedding(t[0], t[1]))],
        Reference = t => { var w = D(t[0]); int d = weight[1]; return [Ref(row, ids.SelectMany(id => w[(int)(id * d)..(int)((id + 1) * d)]).ToArray(), 0)]; },
        Gradient = table == DType.F32 && idType == DType.I64 ? new Gradient(x => Ops.Embedding(x[0], x[1]), [0]) : null,
    };

    private static readonly long[] RepeatedIds = [3, 0, 3, 9, 3, 1, 0];

    private static OpCase Backward() => new()
    {
        Family = Family, Name = "embedding.bwd (repeated ids)", Shape = "[7] → [10, 129]", Op = BackendOp.EmbeddingBackward, DType = DType.F32,
        Inputs = s => [N(s, 7, 129), Tensor.FromArray(RepeatedIds, 7)],
        Run = t => [Rel("embedding.bwd (repeated ids)", Be(t).EmbeddingBackward(t[0], t[1], 10), 1e-6)],
        Reference = t =>
        {
            var gy = D(t[0]);
            var dw = new double[10 * 129];
            for (int r = 0; r < RepeatedIds.Length; r++) for (int c = 0; c < 129; c++) dw[RepeatedIds[r] * 129 + c] += gy[r * 129 + c];
            return [Ref("embedding.bwd (repeated ids)", dw, 1e-6)];
        },
    };
}
