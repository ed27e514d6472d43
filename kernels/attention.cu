// The remaining forward pieces of the Transformer on CUDA (f32), twins of the CPU ops: strided copy, embedding
// gather, RoPE, SwiGLU, and a straightforward (not yet flash-tiled) attention forward used for correctness and decode.
#include "common.cuh"

// dst[i] = src[i] over a 4-d index space with arbitrary element strides on both sides (4-byte elements).
extern "C" __global__ void strided_copy_u32(const u32* src, u32* dst, long long n0, long long n1, long long n2, long long n3,
    long long s0, long long s1, long long s2, long long s3, long long d0, long long d1, long long d2, long long d3)
{
    GRID_STRIDE(i, n0 * n1 * n2 * n3)
    {
        long long r = i, i3 = r % n3; r /= n3;
        long long i2 = r % n2; r /= n2;
        long long i1 = r % n1, i0 = r / n1;
        dst[i0 * d0 + i1 * d1 + i2 * d2 + i3 * d3] = src[i0 * s0 + i1 * s1 + i2 * s2 + i3 * s3];
    }
}

// y[r, :] = weight[ids[r], :] for ids in [0, V) (validated on the host).
extern "C" __global__ void embedding_fwd_f32(const float* weight, const long long* ids, float* y, long long rows, int dim)
{
    GRID_STRIDE(i, rows * dim) { long long r = i / dim; y[i] = weight[ids[r] * dim + i % dim]; }
}

// HF rotate_half RoPE on x [B, H, T, D] (strides xb, xh, xt; unit stride in D), tables [T, R] or [B, T, R] (batched = 1),
// first R dims rotated, the rest copied. Output contiguous. transpose = 1 applies the transposed map (backward).
extern "C" __global__ void rope_f32(const float* x, const float* cos_t, const float* sin_t, float* y, int bn, int hn, int tn, int d, int r,
    long long xb, long long xh, long long xt, int batched, int transpose)
{
    GRID_STRIDE(i, (long long)bn * hn * tn * d)
    {
        int c = (int)(i % d); long long row = i / d;
        int t = (int)(row % tn); long long bh = row / tn;
        int h = (int)(bh % hn), b = (int)(bh / hn);
        const float* xr = x + b * xb + h * xh + t * xt;
        if (c >= r) { y[i] = xr[c]; continue; }
        long long tab = ((long long)(batched ? b : 0) * tn + t) * r;
        int half = r / 2;
        int partner = c < half ? c + half : c - half;
        // forward: y_c = x_c cos_c + (c < half ? -x_{c+half} : x_{c-half}) sin_c
        // transposed: y_c = x_c cos_c + (c < half ? x_{c+half} sin_{c+half} : -x_{c-half} sin_{c-half})
        float v = xr[c] * cos_t[tab + c];
        if (!transpose) v += (c < half ? -xr[partner] : xr[partner]) * sin_t[tab + c];
        else v += (c < half ? xr[partner] : -xr[partner]) * sin_t[tab + partner];
        y[i] = v;
    }
}

// silu(gate) · up
extern "C" __global__ void swiglu_fwd_f32(const float* gate, const float* up, float* y, long long n)
{
    GRID_STRIDE(i, n) { float g = gate[i]; y[i] = g / (1.0f + expf(-g)) * up[i]; }
}

// Attention forward, one block per (query row, query head, batch): scores in chunks of ATT_CHUNK keys kept in
// shared memory, online softmax across chunks, output accumulated in shared memory (D ≤ 256).
// q/k/v strides per (b, h, t) with unit stride in D; key_mask [B, Tk] I64 (nonzero = attend) or null.
// Query i sees key j iff j ≤ i + (Tk − Tq) when causal. Rows with no visible key get zeros and lse = +inf.
#define ATT_CHUNK 1024
extern "C" __global__ void attention_fwd_f32(const float* q, const float* k, const float* v, const long long* key_mask, float* o, float* lse,
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
