// Fused cross-entropy over the vocabulary and token-probability extraction: twins of src/Runtime/Cpu/Loss.
// One block per row; the softmax is never stored: forward keeps the log-sum-exp, backward recomputes.
#include "common.cuh"

__device__ __forceinline__ float row_lse(const float* xr, int v, float* buf)
{
    float m = -ENGINE_INF;
    for (int i = threadIdx.x; i < v; i += blockDim.x) m = fmaxf(m, xr[i]);
    m = block_max(m, buf);
    float s = 0.0f;
    for (int i = threadIdx.x; i < v; i += blockDim.x) s += expf(xr[i] - m);
    return m + logf(block_sum(s, buf));
}

// nll[i] = lse[i] − logits[i, t_i]; ignored rows (t == ignore) get nll = 0, lse = 0. Targets are validated on the host.
extern "C" __global__ void cross_entropy_fwd_f32(const float* logits, const long long* targets, float* nll, float* lse, int v, long long ignore, int has_ignore)
{
    __shared__ float buf[32];
    long long t = targets[blockIdx.x];
    if (has_ignore && t == ignore) { if (threadIdx.x == 0) { nll[blockIdx.x] = 0.0f; lse[blockIdx.x] = 0.0f; } return; }
    const float* xr = logits + (long long)blockIdx.x * v;
    float l = row_lse(xr, v, buf);
    if (threadIdx.x == 0) { lse[blockIdx.x] = l; nll[blockIdx.x] = l - xr[t]; }
}

// dlogits[i, :] = row_grad[i]·(softmax(logits[i]) − onehot(t_i)); zero for ignored rows.
extern "C" __global__ void cross_entropy_bwd_f32(const float* logits, const long long* targets, const float* lse, const float* row_grad, float* dlogits, int v, long long ignore, int has_ignore)
{
    long long t = targets[blockIdx.x];
    long long off = (long long)blockIdx.x * v;
    bool skip = has_ignore && t == ignore;
    float g = skip ? 0.0f : row_grad[blockIdx.x], l = lse[blockIdx.x];
    for (int i = threadIdx.x; i < v; i += blockDim.x)
        dlogits[off + i] = skip ? 0.0f : g * (expf(logits[off + i] - l) - (i == t ? 1.0f : 0.0f));
}

// probs[i, k] = softmax(logits[i])[cand[k]] (SelectIT's rating tokens), without storing the softmax.
extern "C" __global__ void candidate_probs_f32(const float* logits, const int* cand, float* probs, int v, int k)
{
    __shared__ float buf[32];
    const float* xr = logits + (long long)blockIdx.x * v;
    float l = row_lse(xr, v, buf);
    for (int j = threadIdx.x; j < k; j += blockDim.x) probs[(long long)blockIdx.x * k + j] = expf(xr[cand[j]] - l);
}

// ---- Symmetric KL per row (CCL): twin of CpuSymmetricKl. p = softmax(x_i), q = softmax(y_i), d = log p − log q.
// One block per row, chunked over V (any size): only per-thread scalars, the softmax is never stored.

// Online log-sum-exp: each thread keeps (max, Σ exp(v − max)) over its strided elements, then the block rescales
// every partial sum to the block maximum. A non-finite maximum is returned as is, as SoftmaxRow.LogSumExp does.
static __device__ __forceinline__ float skl_row_lse(const float* xr, int v, float* buf)
{
    float m = -ENGINE_INF, s = 0.0f;
    for (int i = threadIdx.x; i < v; i += blockDim.x)
    {
        float a = xr[i];
        if (a > m) { s = s * expf(m - a) + 1.0f; m = a; }
        else if (m != -ENGINE_INF) s += expf(a - m); // −∞ after −∞ adds nothing (and no NaN from −∞ − −∞)
    }
    float bm = block_max(m, buf);
    if (!(bm > -ENGINE_INF && bm < ENGINE_INF)) return bm;
    float t = m == -ENGINE_INF ? 0.0f : s * expf(m - bm);
    return bm + logf(block_sum(t, buf));
}

// kl[i] = KL(p‖q) + KL(q‖p); stats[i] = (lseP, lseQ, KL(p‖q), KL(q‖p)).
extern "C" __global__ void symmetric_kl_fwd_f32(const float* x, const float* y, float* kl, float* stats, int v)
{
    __shared__ float buf[32];
    long long off = (long long)blockIdx.x * v;
    const float* xr = x + off;
    const float* yr = y + off;
    float lp = skl_row_lse(xr, v, buf), lq = skl_row_lse(yr, v, buf);
    float apq = 0.0f, aqp = 0.0f;
    for (int i = threadIdx.x; i < v; i += blockDim.x)
    {
        float a = xr[i] - lp, b = yr[i] - lq, d = a - b;
        apq += expf(a) * d;
        aqp -= expf(b) * d;
    }
    float pq = block_sum(apq, buf), qp = block_sum(aqp, buf);
    if (threadIdx.x == 0)
    {
        kl[blockIdx.x] = pq + qp;
        float* s = stats + (long long)blockIdx.x * 4;
        s[0] = lp; s[1] = lq; s[2] = pq; s[3] = qp;
    }
}

// dx = gy·(p⊙(d + 1 − KL(p‖q)) − q), dy = gy·(q⊙(1 − KL(q‖p) − d) − p), p and q recomputed from the saved lse.
extern "C" __global__ void symmetric_kl_bwd_f32(const float* x, const float* y, const float* stats, const float* gy, float* dx, float* dy, int v)
{
    long long off = (long long)blockIdx.x * v;
    const float* s = stats + (long long)blockIdx.x * 4;
    float lp = s[0], lq = s[1], one_pq = 1.0f - s[2], one_qp = 1.0f - s[3], g = gy[blockIdx.x];
    for (int i = threadIdx.x; i < v; i += blockDim.x)
    {
        float a = x[off + i] - lp, b = y[off + i] - lq, d = a - b;
        float p = expf(a), q = expf(b);
        // Each operation rounded on its own (_rn: no FMA contraction), in CpuSymmetricKl's order.
        dx[off + i] = __fmul_rn(__fsub_rn(__fmul_rn(__fadd_rn(d, one_pq), p), q), g);
        dy[off + i] = __fmul_rn(__fsub_rn(__fmul_rn(__fsub_rn(one_qp, d), q), p), g);
    }
}
