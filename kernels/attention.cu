// Attention in f32: twin of src/Runtime/Cpu/Attention (CpuAttentionForward/Backward). Straightforward kernels (one
// block per query row, or per key row in dK/dV) for any head dim ≤ 256: the f32 path and the bf16 fallback for head dims
// without a flash kernel (attention_flash.cu has the tensor-core kernels for 64 and 128).
#include "common.cuh"

// Threads per block of the row kernels below (a multiple of 32; their loops stride by blockDim).
#define ATT_BLOCK 128

// Attention forward, one block per (query row, query head, batch): scores in chunks of ATT_CHUNK keys kept in
// shared memory, online softmax across chunks, output accumulated in shared memory (D ≤ 256).
// q/k/v strides per (b, h, t) with unit stride in D; key_mask [B, Tk] I64 (nonzero = attend) or null.
// Query i sees key j iff j ≤ i + (Tk − Tq) when causal. Rows with no visible key get zeros and lse = +inf.
#define ATT_CHUNK 1024
extern "C" __global__ void __launch_bounds__(ATT_BLOCK) attention_fwd_f32(const float* q, const float* k, const float* v, const long long* key_mask, float* o, float* lse,
    int tq, int tk, int d, int hq, int hkv, long long qb, long long qh, long long qt, long long kb, long long kh, long long kt,
    long long vb, long long vh, long long vt, int causal, float scale)
{
    __shared__ float buf[32];
    __shared__ float s[ATT_CHUNK];
    __shared__ float acc[256];
    __shared__ float qrow[256];
    int i = blockIdx.x, h = blockIdx.y, b = blockIdx.z, hk = h / (hq / hkv);
    const float* qr = q + b * qb + h * qh + i * qt;
    for (int c = threadIdx.x; c < d; c += blockDim.x) { qrow[c] = qr[c]; acc[c] = 0.0f; }
    __syncthreads();
    int last = causal ? min(tk - 1, i + (tk - tq)) : tk - 1;
    float m = -ENGINE_INF, l = 0.0f;
    for (int j0 = 0; j0 <= last; j0 += ATT_CHUNK)
    {
        int nk = min(ATT_CHUNK, last + 1 - j0);
        float cmax = -ENGINE_INF;
        for (int jj = threadIdx.x; jj < nk; jj += blockDim.x)
        {
            int j = j0 + jj;
            float sc = -ENGINE_INF;
            if (!key_mask || key_mask[(long long)b * tk + j] != 0)
            {
                const float* kr = k + b * kb + hk * kh + (long long)j * kt;
                float dot = 0.0f;
                for (int c = 0; c < d; c++) dot += qrow[c] * kr[c];
                sc = dot * scale;
            }
            s[jj] = sc;
            cmax = fmaxf(cmax, sc);
        }
        cmax = block_max(cmax, buf);
        float mnew = fmaxf(m, cmax);
        if (mnew == -ENGINE_INF) continue; // nothing visible yet
        float alpha = m == -ENGINE_INF ? 0.0f : expf(m - mnew);
        float psum = 0.0f;
        for (int jj = threadIdx.x; jj < nk; jj += blockDim.x) { float p = s[jj] == -ENGINE_INF ? 0.0f : expf(s[jj] - mnew); s[jj] = p; psum += p; }
        psum = block_sum(psum, buf); // also orders the writes to s before the reads below
        l = l * alpha + psum;
        m = mnew;
        for (int c = threadIdx.x; c < d; c += blockDim.x)
        {
            float a = acc[c] * alpha;
            for (int jj = 0; jj < nk; jj++) a += s[jj] * v[b * vb + hk * vh + (long long)(j0 + jj) * vt + c];
            acc[c] = a;
        }
        __syncthreads();
    }
    float* orow = o + (((long long)b * hq + h) * tq + i) * d;
    for (int c = threadIdx.x; c < d; c += blockDim.x) orow[c] = l > 0.0f ? acc[c] / l : 0.0f;
    if (threadIdx.x == 0) lse[((long long)b * hq + h) * tq + i] = l > 0.0f ? m + logf(l) : ENGINE_INF;
}

// ---- backward by recomputation from the saved log-sum-exp; deterministic (no atomics).

// δ_i = dO_i · O_i for every query row (O, dO contiguous [B, Hq, Tq, D]).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) attention_delta_f32(const float* o, const float* dO, float* delta, long long rows, int d)
{
    __shared__ float buf[32];
    long long r = blockIdx.x;
    float s = 0.0f;
    for (int c = threadIdx.x; c < d; c += blockDim.x) s += o[r * d + c] * dO[r * d + c];
    s = block_sum(s, buf);
    if (threadIdx.x == 0) delta[r] = s;
}

__device__ __forceinline__ bool att_visible(const long long* key_mask, int b, int tk, int tq, int i, int j, int causal)
{
    if (causal && j > i + (tk - tq)) return false;
    return !key_mask || key_mask[(long long)b * tk + j] != 0;
}

// dQ_i = scale · Σ_j P_ij (dO_i·V_j − δ_i) K_j, one block per (query row, query head, batch); P recomputed from lse.
extern "C" __global__ void __launch_bounds__(ATT_BLOCK) attention_bwd_dq_f32(const float* q, const float* k, const float* v, const float* dO, const float* lse, const float* delta,
    const long long* key_mask, float* dq, int tq, int tk, int d, int hq, int hkv,
    long long qb, long long qh, long long qt, long long kb, long long kh, long long kt, long long vb, long long vh, long long vt, int causal, float scale)
{
    __shared__ float qrow[256], dorow[256], acc[256];
    int i = blockIdx.x, h = blockIdx.y, b = blockIdx.z, hk = h / (hq / hkv);
    long long row = ((long long)b * hq + h) * tq + i;
    for (int c = threadIdx.x; c < d; c += blockDim.x) { qrow[c] = q[b * qb + h * qh + i * qt + c]; dorow[c] = dO[row * d + c]; acc[c] = 0.0f; }
    __syncthreads();
    float l = lse[row], dl = delta[row];
    if (l < ENGINE_INF)
        for (int j = 0; j < tk; j++)
        {
            if (!att_visible(key_mask, b, tk, tq, i, j, causal)) continue;
            const float* kr = k + b * kb + hk * kh + (long long)j * kt;
            const float* vr = v + b * vb + hk * vh + (long long)j * vt;
            // every thread computes the two dots (D ≤ 256): simple, and avoids a reduction per key
            float s = 0.0f, dp = 0.0f;
            for (int c = 0; c < d; c++) { s += qrow[c] * kr[c]; dp += dorow[c] * vr[c]; }
            float ds = expf(s * scale - l) * (dp - dl);
            for (int c = threadIdx.x; c < d; c += blockDim.x) acc[c] += ds * kr[c];
        }
    for (int c = threadIdx.x; c < d; c += blockDim.x) dq[row * d + c] = acc[c] * scale;
}

// dK_j, dV_j for one key row j of kv head hk, summed over the query heads of its GQA group and every query that sees it.
extern "C" __global__ void __launch_bounds__(ATT_BLOCK) attention_bwd_dkdv_f32(const float* q, const float* k, const float* v, const float* dO, const float* lse, const float* delta,
    const long long* key_mask, float* dk, float* dv, int tq, int tk, int d, int hq, int hkv,
    long long qb, long long qh, long long qt, long long kb, long long kh, long long kt, long long vb, long long vh, long long vt, int causal, float scale)
{
    __shared__ float krow[256], vrow[256], ak[256], av[256];
    int j = blockIdx.x, hk = blockIdx.y, b = blockIdx.z, group = hq / hkv;
    for (int c = threadIdx.x; c < d; c += blockDim.x)
    {
        krow[c] = k[b * kb + hk * kh + (long long)j * kt + c];
        vrow[c] = v[b * vb + hk * vh + (long long)j * vt + c];
        ak[c] = 0.0f; av[c] = 0.0f;
    }
    __syncthreads();
    for (int h = hk * group; h < (hk + 1) * group; h++)
        for (int i = 0; i < tq; i++)
        {
            if (!att_visible(key_mask, b, tk, tq, i, j, causal)) continue;
            long long row = ((long long)b * hq + h) * tq + i;
            float l = lse[row];
            if (!(l < ENGINE_INF)) continue;
            const float* qr = q + b * qb + h * qh + i * qt;
            const float* dor = dO + row * d;
            float s = 0.0f, dp = 0.0f;
            for (int c = 0; c < d; c++) { s += qr[c] * krow[c]; dp += dor[c] * vrow[c]; }
            float p = expf(s * scale - l), ds = p * (dp - delta[row]);
            for (int c = threadIdx.x; c < d; c += blockDim.x) { av[c] += p * dor[c]; ak[c] += ds * qr[c]; }
        }
    long long out = (((long long)b * hkv + hk) * tk + j) * d;
    for (int c = threadIdx.x; c < d; c += blockDim.x) { dk[out + c] = ak[c] * scale; dv[out + c] = av[c]; }
}
