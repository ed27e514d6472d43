// RMSNorm over the last dim: twins of src/Runtime/Cpu/Norm (CpuNorm). One block per row; f32 accumulation.
#include "common.cuh"

// y = x · rstd · w, rstd = 1/sqrt(mean(x²) + eps); rstd saved per row for backward.
extern "C" __global__ void rmsnorm_fwd_f32(const float* x, const float* w, float* y, float* rstd, int d, float eps)
{
    __shared__ float buf[32];
    const float* xr = x + (long long)blockIdx.x * d;
    float* yr = y + (long long)blockIdx.x * d;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) ss += xr[i] * xr[i];
    float r = rsqrtf(block_sum(ss, buf) / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) yr[i] = xr[i] * r * w[i];
    if (threadIdx.x == 0) rstd[blockIdx.x] = r;
}

// bf16 activations and weights, f32 statistics.
extern "C" __global__ void rmsnorm_fwd_bf16(const bf16_t* x, const bf16_t* w, bf16_t* y, float* rstd, int d, float eps)
{
    __shared__ float buf[32];
    const bf16_t* xr = x + (long long)blockIdx.x * d;
    bf16_t* yr = y + (long long)blockIdx.x * d;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) { float v = bf16_to_f32(xr[i]); ss += v * v; }
    float r = rsqrtf(block_sum(ss, buf) / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x) yr[i] = f32_to_bf16(bf16_to_f32(xr[i]) * r * bf16_to_f32(w[i]));
    if (threadIdx.x == 0) rstd[blockIdx.x] = r;
}

// gx = rstd·w∘gy − x·rstd³/d · Σ_j gy_j w_j x_j, one block per row.
extern "C" __global__ void rmsnorm_bwd_x_f32(const float* x, const float* w, const float* rstd, const float* gy, float* gx, int d)
{
    __shared__ float buf[32];
    long long off = (long long)blockIdx.x * d;
    float r = rstd[blockIdx.x], dot = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) dot += gy[off + i] * w[i] * x[off + i];
    float c = block_sum(dot, buf) * r * r * r / d;
    for (int i = threadIdx.x; i < d; i += blockDim.x) gx[off + i] = r * w[i] * gy[off + i] - x[off + i] * c;
}

// gw[i] = Σ_rows gy·x·rstd: one thread per column, rows in order (deterministic, no atomics).
extern "C" __global__ void rmsnorm_bwd_w_f32(const float* x, const float* rstd, const float* gy, float* gw, long long rows, int d)
{
    GRID_STRIDE(i, d)
    {
        float acc = 0.0f;
        for (long long r = 0; r < rows; r++) acc += gy[r * d + i] * x[r * d + i] * rstd[r];
        gw[i] = acc;
    }
}

// ---- LayerNorm: twins of CpuNorm.LayerNorm / LayerNormBackward. Biased variance, two-pass (stable when |mean| ≫ std).

// y = (x − μ)·rstd·w + b; mean and rstd saved per row. b may be null (has_bias = 0).
extern "C" __global__ void layernorm_fwd_f32(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int d, float eps, int has_bias)
{
    __shared__ float buf[32];
    const float* xr = x + (long long)blockIdx.x * d;
    float* yr = y + (long long)blockIdx.x * d;
    float s = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) s += xr[i];
    float mu = block_sum(s, buf) / d;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) { float c = xr[i] - mu; ss += c * c; }
    float r = 1.0f / sqrtf(block_sum(ss, buf) / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x)
    {
        float v = (xr[i] - mu) * r * w[i];
        yr[i] = has_bias ? v + b[i] : v;
    }
    if (threadIdx.x == 0) { mean[blockIdx.x] = mu; rstd[blockIdx.x] = r; }
}

// bf16 activations, weight and bias; f32 statistics (as rmsnorm_fwd_bf16).
extern "C" __global__ void layernorm_fwd_bf16(const bf16_t* x, const bf16_t* w, const bf16_t* b, bf16_t* y, float* mean, float* rstd, int d, float eps, int has_bias)
{
    __shared__ float buf[32];
    const bf16_t* xr = x + (long long)blockIdx.x * d;
    bf16_t* yr = y + (long long)blockIdx.x * d;
    float s = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) s += bf16_to_f32(xr[i]);
    float mu = block_sum(s, buf) / d;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) { float c = bf16_to_f32(xr[i]) - mu; ss += c * c; }
    float r = 1.0f / sqrtf(block_sum(ss, buf) / d + eps);
    for (int i = threadIdx.x; i < d; i += blockDim.x)
    {
        float v = (bf16_to_f32(xr[i]) - mu) * r * bf16_to_f32(w[i]);
        yr[i] = f32_to_bf16(has_bias ? v + bf16_to_f32(b[i]) : v);
    }
    if (threadIdx.x == 0) { mean[blockIdx.x] = mu; rstd[blockIdx.x] = r; }
}

// x̂ = (x−μ)·rstd, ĝ = gy∘w: gx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)). One block per row.
extern "C" __global__ void layernorm_bwd_x_f32(const float* x, const float* w, const float* mean, const float* rstd, const float* gy, float* gx, int d)
{
    __shared__ float buf[32];
    long long off = (long long)blockIdx.x * d;
    float mu = mean[blockIdx.x], r = rstd[blockIdx.x];
    float sg = 0.0f, sgx = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x)
    {
        float g = gy[off + i] * w[i];
        sg += g;
        sgx += g * (x[off + i] - mu) * r;
    }
    float mg = block_sum(sg, buf) / d;
    float mgx = block_sum(sgx, buf) / d;
    for (int i = threadIdx.x; i < d; i += blockDim.x)
    {
        float xh = (x[off + i] - mu) * r;
        gx[off + i] = r * (gy[off + i] * w[i]) - r * mg - (r * mgx) * xh;
    }
}

// First pass of gw = Σ_rows gy∘x̂ and gb = Σ_rows gy: block (blockIdx.x, blockIdx.y) sums rows
// [y·rows_per_part, (y+1)·rows_per_part) of its columns into part_w/part_b[y, :], one thread per column, rows in order.
// gb pointers may be null (has_bias = 0). No atomics: layernorm_sum_parts_f32 adds the parts in a fixed order.
extern "C" __global__ void layernorm_bwd_wb_parts_f32(const float* x, const float* mean, const float* rstd, const float* gy,
    float* part_w, float* part_b, long long rows, int d, int rows_per_part, int has_bias)
{
    int col = blockIdx.x * blockDim.x + threadIdx.x;
    if (col >= d) return;
    long long r0 = (long long)blockIdx.y * rows_per_part;
    long long r1 = r0 + rows_per_part < rows ? r0 + rows_per_part : rows;
    float aw = 0.0f, ab = 0.0f;
    for (long long r = r0; r < r1; r++)
    {
        float g = gy[r * d + col];
        aw += g * (x[r * d + col] - mean[r]) * rstd[r];
        ab += g;
    }
    part_w[(long long)blockIdx.y * d + col] = aw;
    if (has_bias) part_b[(long long)blockIdx.y * d + col] = ab;
}

// Second pass: out[c] = Σ_p parts[p, c], p in order.
extern "C" __global__ void layernorm_sum_parts_f32(const float* parts, float* out, int n_parts, int d)
{
    GRID_STRIDE(c, d)
    {
        float acc = 0.0f;
        for (int p = 0; p < n_parts; p++) acc += parts[(long long)p * d + c];
        out[c] = acc;
    }
}
