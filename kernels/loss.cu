// Fused cross-entropy over the vocabulary and token-probability extraction: twins of src/Runtime/Cpu/Loss.
// One block per row; the softmax is never stored: forward keeps the log-sum-exp, backward recomputes.
#include "common.cuh"

// Symmetric KL runs one block per row with up to this many threads (1024 for vocabulary-sized rows, fewer for short ones).
#define SKL_MAX_BLOCK 1024

__device__ __forceinline__ float row_lse(const float* xr, int v, float* buf)
{
    float m = -ENGINE_INF;
    for (int i = threadIdx.x; i < v; i += blockDim.x) m = fmaxf(m, xr[i]);
    m = block_max(m, buf);
    float s = 0.0f;
    for (int i = threadIdx.x; i < v; i += blockDim.x) s += expf(xr[i] - m);
    return m + logf(block_sum(s, buf));
}

// nll[i] = lse[i] − logits[i, t_i]; ignored rows (t == ignore) get nll = 0, lse = 0. A target outside [0, v) that is not
// ignored is never read through: its row gets NaN and the lowest such row is recorded in *bad (set to ~0 by the host),
// which the host reports as an error naming the row and the target.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) cross_entropy_fwd_f32(const float* logits, const long long* targets, float* nll, float* lse, int v, long long ignore, int has_ignore, u64* bad)
{
    __shared__ float buf[32];
    long long t = targets[blockIdx.x];
    if (has_ignore && t == ignore) { if (threadIdx.x == 0) { nll[blockIdx.x] = 0.0f; lse[blockIdx.x] = 0.0f; } return; }
    if (t < 0 || t >= v) { if (threadIdx.x == 0) { nll[blockIdx.x] = ENGINE_NAN; lse[blockIdx.x] = ENGINE_NAN; atomicMin(bad, (u64)blockIdx.x); } return; }
    const float* xr = logits + (long long)blockIdx.x * v;
    float l = row_lse(xr, v, buf);
    if (threadIdx.x == 0) { lse[blockIdx.x] = l; nll[blockIdx.x] = l - xr[t]; }
}

// dlogits[i, :] = row_grad[i]·(softmax(logits[i]) − onehot(t_i)); zero for ignored rows, NaN for an out-of-range target
// (the forward reported it).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) cross_entropy_bwd_f32(const float* logits, const long long* targets, const float* lse, const float* row_grad, float* dlogits, int v, long long ignore, int has_ignore)
{
    long long t = targets[blockIdx.x];
    long long off = (long long)blockIdx.x * v;
    bool skip = has_ignore && t == ignore, bad = !skip && (t < 0 || t >= v);
    float g = skip ? 0.0f : row_grad[blockIdx.x], l = lse[blockIdx.x];
    for (int i = threadIdx.x; i < v; i += blockDim.x)
        dlogits[off + i] = skip ? 0.0f : bad ? ENGINE_NAN : g * (expf(logits[off + i] - l) - (i == t ? 1.0f : 0.0f));
}

// probs[i, k] = softmax(logits[i])[cand[k]] (SelectIT's rating tokens), without storing the softmax.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) candidate_probs_f32(const float* logits, const int* cand, float* probs, int v, int k)
{
    __shared__ float buf[32];
    const float* xr = logits + (long long)blockIdx.x * v;
    float l = row_lse(xr, v, buf);
    for (int j = threadIdx.x; j < k; j += blockDim.x) probs[(long long)blockIdx.x * k + j] = expf(xr[cand[j]] - l);
}

// ---- Symmetric KL per row (CCL): twin of CpuSymmetricKl. p = softmax(x_i), q = softmax(y_i), d = log p − log q.
// One block per row, chunked over V (any size): only per-thread scalars, the softmax is never stored. Like the CPU,
// everything is evaluated in f64 and rounded once (x − lse in f32 loses ~1e-6 absolute for a 150k vocabulary, and the
// gradient p·(…) − q cancels), so both backends round the same values.

// Online log-sum-exp in f64: each thread keeps (max, Σ exp(v − max)) over its strided elements, then the block rescales
// every partial sum to the block maximum. A non-finite maximum is returned as is, as the CPU does.
static __device__ __forceinline__ double skl_row_lse(const float* xr, int v, float* fbuf, double* dbuf)
{
    float m = -ENGINE_INF;
    double s = 0.0;
    for (int i = threadIdx.x; i < v; i += blockDim.x)
    {
        float a = xr[i];
        if (a > m) { s = s * exp((double)m - (double)a) + 1.0; m = a; }
        else if (m != -ENGINE_INF) s += exp((double)a - (double)m); // −∞ after −∞ adds nothing (and no NaN from −∞ − −∞)
    }
    float bm = block_max(m, fbuf);
    if (!(bm > -ENGINE_INF && bm < ENGINE_INF)) return (double)bm;
    double t = m == -ENGINE_INF ? 0.0 : s * exp((double)m - (double)bm);
    return (double)bm + log(block_sum_f64(t, dbuf));
}

// kl[i] = KL(p‖q) + KL(q‖p); stats[i] = (lseP, lseQ, KL(p‖q), KL(q‖p)), each rounded once from f64.
extern "C" __global__ void __launch_bounds__(SKL_MAX_BLOCK) symmetric_kl_fwd_f32(const float* x, const float* y, float* kl, float* stats, int v)
{
    __shared__ float fbuf[32];
    __shared__ double dbuf[32];
    long long off = (long long)blockIdx.x * v;
    const float* xr = x + off;
    const float* yr = y + off;
    double lp = skl_row_lse(xr, v, fbuf, dbuf), lq = skl_row_lse(yr, v, fbuf, dbuf);
    double apq = 0.0, aqp = 0.0;
    for (int i = threadIdx.x; i < v; i += blockDim.x)
    {
        double a = (double)xr[i] - lp, b = (double)yr[i] - lq, d = a - b;
        apq += exp(a) * d;
        aqp -= exp(b) * d;
    }
    double pq = block_sum_f64(apq, dbuf), qp = block_sum_f64(aqp, dbuf);
    if (threadIdx.x == 0)
    {
        kl[blockIdx.x] = (float)(pq + qp);
        float* s = stats + (long long)blockIdx.x * 4;
        s[0] = (float)lp; s[1] = (float)lq; s[2] = (float)pq; s[3] = (float)qp;
    }
}

// dx = gy·(p⊙(d + 1 − KL(p‖q)) − q), dy = gy·(q⊙(1 − KL(q‖p) − d) − p), p and q recomputed from the saved lse.
extern "C" __global__ void __launch_bounds__(SKL_MAX_BLOCK) symmetric_kl_bwd_f32(const float* x, const float* y, const float* stats, const float* gy, float* dx, float* dy, int v)
{
    long long off = (long long)blockIdx.x * v;
    const float* s = stats + (long long)blockIdx.x * 4;
    double lp = s[0], lq = s[1], one_pq = 1.0 - (double)s[2], one_qp = 1.0 - (double)s[3], g = gy[blockIdx.x];
    for (int i = threadIdx.x; i < v; i += blockDim.x)
    {
        double a = (double)x[off + i] - lp, b = (double)y[off + i] - lq, d = a - b;
        double p = exp(a), q = exp(b);
        dx[off + i] = (float)(((d + one_pq) * p - q) * g);
        dy[off + i] = (float)(((one_qp - d) * q - p) * g);
    }
}
