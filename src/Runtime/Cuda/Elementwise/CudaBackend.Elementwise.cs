namespace Engine.Runtime.Cuda;

/// <summary>Elementwise, GEMM, RMSNorm, softmax, loss and transformer-forward ops on CUDA (f32 unless noted).</summary>
public sealed unsafe partial class CudaBackend
{
    public Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        RequireF32(op.ToString(), a, b);
        if (a.Shape.SequenceEqual(b.Shape))
        {
            var y = Like(a);
            Launch1D("elementwise.cu", "binary_f32", a.NumElements, (int)op, P(a), P(b), P(y), a.NumElements);
            return y;
        }
        if (b.Rank == 1 && a.Rank >= 1 && b.Size(0) == a.Size(-1))
        {
            var y = Like(a);
            long rows = a.NumElements / Math.Max(1, b.Size(0));
            Launch1D("elementwise.cu", "binary_rowbcast_f32", a.NumElements, (int)op, P(a), P(b), P(y), rows, b.Size(0));
            return y;
        }
        throw Missing(op.ToString(), $"broadcast {a.ShapeString} ∘ {b.ShapeString}; same shape or a trailing vector are supported");
    }

    public Tensor Affine(Tensor x, double alpha, double beta)
    {
        RequireF32("Affine", x);
        var y = Like(x);
        Launch1D("elementwise.cu", "affine_f32", x.NumElements, P(x), P(y), (float)alpha, (float)beta, x.NumElements);
        return y;
    }

    public Tensor Unary(UnaryOp op, Tensor x)
    {
        RequireF32(op.ToString(), x);
        var y = Like(x);
        Launch1D("elementwise.cu", "unary_f32", x.NumElements, (int)op, P(x), P(y), x.NumElements);
        return y;
    }

    public Tensor MatMul(Tensor a, Tensor b, bool transA, bool transB)
    {
        if (a.DType != b.DType || a.DType is not (DType.F32 or DType.BF16 or DType.F16)) throw Missing("MatMul", $"{a.DType} × {b.DType}");
        var (batch, m, k, n, shape) = Ops.MatMulShape(a, b, transA, transB);
        var y = New(shape, a.DType);
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (a.DType == DType.BF16 && _blasLt.Value is { } lt)
        {
            // bf16 goes through cuBLASLt (its heuristics pick tensor-core kernels per shape); f32 stays on GemmEx.
            if (b.Rank == 2 && !transA) lt.Matmul(false, transB, batch * m, n, k, 1f, Addr(a), lda, Addr(b), ldb, 0f, Addr(y), n, a.DType, y.DType);
            else lt.Matmul(transA, transB, m, n, k, 1f, Addr(a), lda, Addr(b), ldb, 0f, Addr(y), n, a.DType, y.DType,
                batch: batch, strideA: (long)m * k, strideB: b.Rank == 2 ? 0 : (long)k * n, strideC: (long)m * n);
            return y;
        }
        GemmEx(a, b, transA, transB, y, batch, m, k, n);
        return y;
    }

    /// <summary>
    /// y = op(a)·op(b) through cublasGemmEx, in y's dtype: one GEMM over all rows when b is a shared 2-D matrix and a
    /// is not transposed, else strided batches (b broadcast when 2-D).
    /// </summary>
    private void GemmEx(Tensor a, Tensor b, bool transA, bool transB, Tensor y, int batch, int m, int k, int n)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        if (b.Rank == 2 && !transA)
            _blas.Value.Gemm(false, transB, batch * m, n, k, 1f, Addr(a), lda, Addr(b), ldb, 0f, Addr(y), n, a.DType, y.DType);
        else
            _blas.Value.Gemm(transA, transB, m, n, k, 1f, Addr(a), lda, Addr(b), ldb, 0f, Addr(y), n, a.DType, y.DType,
                batch, (long)m * k, b.Rank == 2 ? 0 : (long)k * n, (long)m * n);
    }

    public (Tensor y, Tensor rstd) RmsNorm(Tensor x, Tensor weight, double eps)
    {
        int d = x.Size(-1);
        long rows = x.NumElements / d;
        var rstd = New(x.ShapeArray()[..^1], DType.F32);
        var y = Like(x);
        if (x.DType == DType.BF16 && weight.DType == DType.BF16)
            LaunchRows("norm.cu", "rmsnorm_fwd_bf16", rows, P(x), P(weight), P(y), P(rstd), d, (float)eps);
        else
        {
            RequireF32("RmsNorm", x, weight);
            LaunchRows("norm.cu", "rmsnorm_fwd_f32", rows, P(x), P(weight), P(y), P(rstd), d, (float)eps);
        }
        return (y, rstd);
    }

    public (Tensor gx, Tensor gw) RmsNormBackward(Tensor x, Tensor weight, Tensor rstd, Tensor gy)
    {
        RequireF32("RmsNormBackward", x, weight, gy);
        int d = x.Size(-1);
        long rows = x.NumElements / d;
        var gx = Like(x);
        var gw = Like(weight);
        LaunchRows("norm.cu", "rmsnorm_bwd_x_f32", rows, P(x), P(weight), P(rstd), P(gy), P(gx), d);
        Launch1D("norm.cu", "rmsnorm_bwd_w_f32", d, P(x), P(rstd), P(gy), P(gw), rows, d);
        return (gx, gw);
    }

    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        RequireF32("Softmax", x);
        if (dim != x.Rank - 1) throw Missing("Softmax", "only along the last dimension");
        var y = Like(x);
        LaunchRows("softmax.cu", "softmax_fwd_f32", x.NumElements / x.Size(-1), P(x), P(y), x.Size(-1), log ? 1 : 0);
        return y;
    }

    public Tensor SoftmaxBackward(Tensor y, Tensor gy, int dim, bool log)
    {
        RequireF32("SoftmaxBackward", y, gy);
        if (dim != y.Rank - 1) throw Missing("SoftmaxBackward", "only along the last dimension");
        var gx = Like(y);
        LaunchRows("softmax.cu", "softmax_bwd_f32", y.NumElements / y.Size(-1), P(y), P(gy), P(gx), y.Size(-1), log ? 1 : 0);
        return gx;
    }

    public (Tensor nll, Tensor lse) CrossEntropyRows(Tensor logits, Tensor targets, long? ignoreIndex)
    {
        RequireF32("CrossEntropy", logits);
        if (targets.DType != DType.I64) throw Missing("CrossEntropy", "targets must be I64 on CUDA");
        int n = logits.Size(0), v = logits.Size(1);
        var nll = New([n], DType.F32); var lse = New([n], DType.F32);
        LaunchRows("loss.cu", "cross_entropy_fwd_f32", n, P(logits), P(targets), P(nll), P(lse), v, ignoreIndex ?? 0L, ignoreIndex is null ? 0 : 1);
        return (nll, lse);
    }

    public Tensor CrossEntropyRowsBackward(Tensor logits, Tensor targets, Tensor lse, Tensor rowGrad, long? ignoreIndex)
    {
        RequireF32("CrossEntropyBackward", logits, lse, rowGrad);
        int n = logits.Size(0), v = logits.Size(1);
        var d = Like(logits);
        LaunchRows("loss.cu", "cross_entropy_bwd_f32", n, P(logits), P(targets), P(lse), P(rowGrad), P(d), v, ignoreIndex ?? 0L, ignoreIndex is null ? 0 : 1);
        return d;
    }

    public Tensor CandidateProbs(Tensor logits, int[] candidateIds)
    {
        RequireF32("CandidateProbs", logits);
        int v = logits.Size(-1);
        long rows = logits.NumElements / v;
        foreach (var c in candidateIds) if (c < 0 || c >= v) throw new ArgumentOutOfRangeException(nameof(candidateIds), $"candidate id {c} outside [0, {v}).");
        var ids = Tensor.FromArray(candidateIds).To(logits.Device);
        var shape = logits.ShapeArray(); shape[^1] = candidateIds.Length;
        var y = New(shape, DType.F32);
        LaunchRows("loss.cu", "candidate_probs_f32", rows, P(logits), P(ids), P(y), v, candidateIds.Length);
        return y;
    }

    public Tensor Embedding(Tensor weight, Tensor ids)
    {
        if (weight.DType == DType.BF16) return EmbeddingBf16(weight, ids);
        RequireF32("Embedding", weight);
        if (ids.DType != DType.I64) throw Missing("Embedding", "ids must be I64 on CUDA");
        int dim = weight.Size(1);
        var y = New(ids.ShapeArray().Append(dim).ToArray(), DType.F32);
        Launch1D("transformer.cu", "embedding_fwd_f32", ids.NumElements * dim, P(weight), P(ids), P(y), ids.NumElements, dim);
        return y;
    }

    public Tensor Rope(Tensor x, Tensor cos, Tensor sin, bool transpose)
    {
        RequireF32("Rope", x, cos, sin);
        if (x.Strides[3] != 1) throw Missing("Rope", "x needs unit stride in the last dim");
        var y = New(x.ShapeArray(), DType.F32);
        int r = cos.Size(-1);
        Launch1D("transformer.cu", "rope_f32", x.NumElements, P(x), P(cos), P(sin), P(y), x.Size(0), x.Size(1), x.Size(2), x.Size(3), r,
            x.Strides[0], x.Strides[1], x.Strides[2], cos.Rank == 3 ? 1 : 0, transpose ? 1 : 0);
        return y;
    }

    public Tensor SwiGlu(Tensor gate, Tensor up)
    {
        RequireF32("SwiGlu", gate, up);
        var y = Like(gate);
        Launch1D("transformer.cu", "swiglu_fwd_f32", gate.NumElements, P(gate), P(up), P(y), gate.NumElements);
        return y;
    }
}
