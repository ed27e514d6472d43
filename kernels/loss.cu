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
