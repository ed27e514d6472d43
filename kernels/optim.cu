// Backward and optimizer kernels (f32), twins of the CPU ops: unary/SwiGLU gradients, embedding gradient without
// atomics, RMS-style reductions for clipping, the fused AdamW step, and attention backward by recomputation.
#include "common.cuh"

// op codes follow Engine.Runtime.UnaryOp: Neg, Exp, Log, Sigmoid, LogSigmoid, Tanh, Relu, Sqrt, Square, Abs
extern "C" __global__ void unary_bwd_f32(int op, const float* x, const float* y, const float* gy, float* gx, long long n)
{
    GRID_STRIDE(i, n)
    {
        float xi = x[i], yi = y[i], g = gy[i], r;
        switch (op)
        {
            case 0: r = -g; break;
            case 1: r = g * yi; break;
            case 2: r = g / xi; break;
            case 3: r = g * yi * (1.0f - yi); break;
            case 4: r = g * (1.0f - 1.0f / (1.0f + expf(-xi))); break;
            case 5: r = g * (1.0f - yi * yi); break;
            case 6: r = xi > 0.0f ? g : 0.0f; break;
            case 7: r = g / (2.0f * yi); break;
            case 8: r = g * 2.0f * xi; break;
            default: r = xi > 0.0f ? g : (xi < 0.0f ? -g : 0.0f); break;
        }
        gx[i] = r;
    }
}

// y = silu(g)·u: dg = gy·u·σ(g)(1 + g(1 − σ(g))), du = gy·silu(g).
extern "C" __global__ void swiglu_bwd_f32(const float* gate, const float* up, const float* gy, float* dgate, float* dup, long long n)
{
    GRID_STRIDE(i, n)
    {
        float g = gate[i], s = 1.0f / (1.0f + expf(-g));
        dgate[i] = gy[i] * up[i] * s * (1.0f + g * (1.0f - s));
        dup[i] = gy[i] * g * s;
    }
}

// dW[ids[r], c] += gy[r, c]: each thread owns one column c and walks the rows in order, so sums are deterministic.
// dW must be zeroed first.
extern "C" __global__ void embedding_bwd_f32(const float* gy, const long long* ids, float* dw, long long rows, int dim)
{
    GRID_STRIDE(c, dim)
        for (long long r = 0; r < rows; r++) dw[ids[r] * dim + c] += gy[r * dim + c];
}

// Per-block partial sums of x² (summed on the host in block order: deterministic).
extern "C" __global__ void sum_squares_partial_f32(const float* x, float* partial, long long n)
{
    __shared__ float buf[32];
    float s = 0.0f;
    GRID_STRIDE(i, n) s += x[i] * x[i];
    s = block_sum(s, buf);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

extern "C" __global__ void scale_inplace_f32(float* x, float factor, long long n) { GRID_STRIDE(i, n) x[i] *= factor; }

// torch.optim.AdamW on one element, with scalars prepared on the host exactly as the CPU kernel does.
static __device__ __forceinline__ void adamw_element(float* p, const float* g, float* m, float* v, long long i, float decay, float w1,
    float one_minus_w1, int lerp_from_start, float b2, float w2, float step_size, float bc2_sqrt, float eps, int apply_decay)
{
    float pv = p[i], gv = g[i], mv = m[i], vv = v[i];
    if (apply_decay) pv *= decay;
    mv = lerp_from_start ? mv + w1 * (gv - mv) : gv - (gv - mv) * one_minus_w1;
    vv = vv * b2 + gv * gv * w2;
    float denom = sqrtf(vv) / bc2_sqrt + eps;
    pv -= step_size * (mv / denom);
    p[i] = pv; m[i] = mv; v[i] = vv;
}

extern "C" __global__ void adamw_f32(float* p, const float* g, float* m, float* v, long long n, float decay, float w1, float one_minus_w1,
    int lerp_from_start, float b2, float w2, float step_size, float bc2_sqrt, float eps, int apply_decay)
{
    GRID_STRIDE(i, n) adamw_element(p, g, m, v, i, decay, w1, one_minus_w1, lerp_from_start, b2, w2, step_size, bc2_sqrt, eps, apply_decay);
}

// Multi-tensor AdamW: every parameter of a model in one launch. meta = [4·T addresses (p, g, m, v per tensor) | T sizes |
// 2 per block: (tensor, first element)]; block b updates elements [first, first + chunk) of its tensor.
extern "C" __global__ void adamw_multi_f32(const long long* meta, int tensors, long long chunk, float decay, float w1, float one_minus_w1,
    int lerp_from_start, float b2, float w2, float step_size, float bc2_sqrt, float eps, int apply_decay)
{
    long long t = meta[5LL * tensors + 2LL * blockIdx.x], first = meta[5LL * tensors + 2LL * blockIdx.x + 1];
    float* p = (float*)meta[4 * t]; const float* g = (const float*)meta[4 * t + 1];
    float* m = (float*)meta[4 * t + 2]; float* v = (float*)meta[4 * t + 3];
    long long end = first + chunk < meta[4LL * tensors + t] ? first + chunk : meta[4LL * tensors + t];
    for (long long i = first + threadIdx.x; i < end; i += blockDim.x)
        adamw_element(p, g, m, v, i, decay, w1, one_minus_w1, lerp_from_start, b2, w2, step_size, bc2_sqrt, eps, apply_decay);
}

// δ_i = dO_i · O_i for every query row (O, dO contiguous [B, Hq, Tq, D]).
extern "C" __global__ void attention_delta_f32(const float* o, const float* dO, float* delta, long long rows, int d)
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
extern "C" __global__ void attention_bwd_dq_f32(const float* q, const float* k, const float* v, const float* dO, const float* lse, const float* delta,
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
extern "C" __global__ void attention_bwd_dkdv_f32(const float* q, const float* k, const float* v, const float* dO, const float* lse, const float* delta,
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

// y = sum of x over the flagged dims (rank ≤ 4, padded with leading 1s), kept as size 1. One thread per output element
// walks its reduced index space in order (deterministic). x contiguous.
extern "C" __global__ void sum_dims_f32(const float* x, float* y, long long n0, long long n1, long long n2, long long n3, int r0, int r1, int r2, int r3)
{
    long long m0 = r0 ? 1 : n0, m1 = r1 ? 1 : n1, m2 = r2 ? 1 : n2, m3 = r3 ? 1 : n3;
    GRID_STRIDE(o, m0 * m1 * m2 * m3)
    {
        long long t = o, o3 = t % m3; t /= m3;
        long long o2 = t % m2; t /= m2;
        long long o1 = t % m1, o0 = t / m1;
        float acc = 0.0f;
        for (long long a = 0; a < (r0 ? n0 : 1); a++)
            for (long long b = 0; b < (r1 ? n1 : 1); b++)
                for (long long c = 0; c < (r2 ? n2 : 1); c++)
                    for (long long e = 0; e < (r3 ? n3 : 1); e++)
                    {
                        long long i0 = r0 ? a : o0, i1 = r1 ? b : o1, i2 = r2 ? c : o2, i3 = r3 ? e : o3;
                        acc += x[((i0 * n1 + i1) * n2 + i2) * n3 + i3];
                    }
        y[o] = acc;
    }
}

// y[i] = x[i with size-1 dims of x pinned to 0] (rank ≤ 4, x's shape k0..k3 is 1 or equal to y's n0..n3).
extern "C" __global__ void broadcast_f32(const float* x, float* y, long long n0, long long n1, long long n2, long long n3, long long k0, long long k1, long long k2, long long k3)
{
    GRID_STRIDE(i, n0 * n1 * n2 * n3)
    {
        long long t = i, i3 = t % n3; t /= n3;
        long long i2 = t % n2; t /= n2;
        long long i1 = t % n1, i0 = t / n1;
        long long j = (((k0 == 1 ? 0 : i0) * k1 + (k1 == 1 ? 0 : i1)) * k2 + (k2 == 1 ? 0 : i2)) * k3 + (k3 == 1 ? 0 : i3);
        y[i] = x[j];
    }
}
