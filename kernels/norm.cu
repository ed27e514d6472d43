// RMSNorm over the last dim: twins of src/Runtime/Cpu/Norm (CpuNorm). One block per row; f32 accumulation.
#include "common.cuh"

// y = x · rstd · w, rstd = 1/sqrt(mean(x²) + eps); rstd saved per row for backward.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) rmsnorm_fwd_f32(const float* x, const float* w, float* y, float* rstd, int d, float eps)
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
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) rmsnorm_fwd_bf16(const bf16_t* x, const bf16_t* w, bf16_t* y, float* rstd, int d, float eps)
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
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) rmsnorm_bwd_x_f32(const float* x, const float* w, const float* rstd, const float* gy, float* gx, int d)
{
    __shared__ float buf[32];
    long long off = (long long)blockIdx.x * d;
    float r = rstd[blockIdx.x], dot = 0.0f;
    for (int i = threadIdx.x; i < d; i += blockDim.x) dot += gy[off + i] * w[i] * x[off + i];
    float c = block_sum(dot, buf) * r * r * r / d;
    for (int i = threadIdx.x; i < d; i += blockDim.x) gx[off + i] = r * w[i] * gy[off + i] - x[off + i] * c;
}

// Rows per partial sum of a weight gradient: CpuNorm.RowsPerPartial, so the sums are grouped (and rounded) as on the CPU.
#define NORM_ROWS_PER_PART 64

// gw[i] = Σ_rows gy·x·rstd: one thread per column (deterministic, no atomics). Rows are summed in parts of 64, and the
// parts in order, each product and sum rounded separately (_rn: no FMA contraction), exactly as CpuNorm.RmsNormBackward.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) rmsnorm_bwd_w_f32(const float* x, const float* rstd, const float* gy, float* gw, long long rows, int d)
{
    GRID_STRIDE(i, d)
    {
        float acc = 0.0f;
        for (long long r0 = 0; r0 < rows; r0 += NORM_ROWS_PER_PART)
        {
            long long r1 = r0 + NORM_ROWS_PER_PART < rows ? r0 + NORM_ROWS_PER_PART : rows;
            float part = 0.0f;
            for (long long r = r0; r < r1; r++) part = __fadd_rn(__fmul_rn(__fmul_rn(gy[r * d + i], x[r * d + i]), rstd[r]), part);
            acc = __fadd_rn(acc, part);
        }
        gw[i] = acc;
    }
}

// ---- LayerNorm: twins of CpuNorm.LayerNorm / LayerNormBackward. Biased variance, two-pass (stable when |mean| ≫ std).
// Row statistics accumulate in f64 and are rounded to f32 once, as on the CPU, so mean and rstd match it bit for bit in
// practice (whatever the summation order); elementwise steps round each operation separately (_rn) in the CPU's order.

// y = ((x − μ)·rstd)·w + b; mean and rstd saved per row. b may be null (has_bias = 0).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) layernorm_fwd_f32(const float* x, const float* w, const float* b, float* y, float* mean, float* rstd, int d, float eps, int has_bias)
{
    __shared__ double buf[32];
    const float* xr = x + (long long)blockIdx.x * d;
    float* yr = y + (long long)blockIdx.x * d;
    double s = 0.0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) s += (double)xr[i];
    float mu = (float)(block_sum_f64(s, buf) / d);
    double ss = 0.0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) { double c = (double)__fsub_rn(xr[i], mu); ss += c * c; }
    float r = (float)(1.0 / sqrt(block_sum_f64(ss, buf) / d + (double)eps));
    for (int i = threadIdx.x; i < d; i += blockDim.x)
    {
        float v = __fmul_rn(__fmul_rn(__fsub_rn(xr[i], mu), r), w[i]);
        yr[i] = has_bias ? __fadd_rn(v, b[i]) : v;
    }
    if (threadIdx.x == 0) { mean[blockIdx.x] = mu; rstd[blockIdx.x] = r; }
}

// bf16 activations, weight and bias; f32 statistics (as rmsnorm_fwd_bf16), one rounding to bf16 at the end.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) layernorm_fwd_bf16(const bf16_t* x, const bf16_t* w, const bf16_t* b, bf16_t* y, float* mean, float* rstd, int d, float eps, int has_bias)
{
    __shared__ double buf[32];
    const bf16_t* xr = x + (long long)blockIdx.x * d;
    bf16_t* yr = y + (long long)blockIdx.x * d;
    double s = 0.0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) s += (double)bf16_to_f32(xr[i]);
    float mu = (float)(block_sum_f64(s, buf) / d);
    double ss = 0.0;
    for (int i = threadIdx.x; i < d; i += blockDim.x) { double c = (double)__fsub_rn(bf16_to_f32(xr[i]), mu); ss += c * c; }
    float r = (float)(1.0 / sqrt(block_sum_f64(ss, buf) / d + (double)eps));
    for (int i = threadIdx.x; i < d; i += blockDim.x)
    {
        float v = __fmul_rn(__fmul_rn(__fsub_rn(bf16_to_f32(xr[i]), mu), r), bf16_to_f32(w[i]));
        yr[i] = f32_to_bf16(has_bias ? __fadd_rn(v, bf16_to_f32(b[i])) : v);
    }
    if (threadIdx.x == 0) { mean[blockIdx.x] = mu; rstd[blockIdx.x] = r; }
}

// x̂ = (x−μ)·rstd, ĝ = gy∘w: gx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)), evaluated as (x̂·(−rstd·mgx) + ĝ·rstd) − rstd·mg
// like the CPU. One block per row; the two means accumulate in f64.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) layernorm_bwd_x_f32(const float* x, const float* w, const float* mean, const float* rstd, const float* gy, float* gx, int d)
{
    __shared__ double buf[32];
    long long off = (long long)blockIdx.x * d;
    float mu = mean[blockIdx.x], r = rstd[blockIdx.x];
    double sg = 0.0, sgx = 0.0;
    for (int i = threadIdx.x; i < d; i += blockDim.x)
    {
        float xh = __fmul_rn(__fsub_rn(x[off + i], mu), r);
        float gh = __fmul_rn(gy[off + i], w[i]);
        sg += (double)gh;
        sgx += (double)gh * (double)xh;
    }
    float mg = (float)(block_sum_f64(sg, buf) / d);
    float mgx = (float)(block_sum_f64(sgx, buf) / d);
    float a = -__fmul_rn(r, mgx), rmg = __fmul_rn(r, mg);
    for (int i = threadIdx.x; i < d; i += blockDim.x)
    {
        float xh = __fmul_rn(__fsub_rn(x[off + i], mu), r);
        float gh = __fmul_rn(gy[off + i], w[i]);
        gx[off + i] = __fsub_rn(__fadd_rn(__fmul_rn(gh, r), __fmul_rn(xh, a)), rmg);
    }
}

// First pass of gw = Σ_rows gy∘x̂ and gb = Σ_rows gy: block (blockIdx.x, blockIdx.y) sums rows
// [y·rows_per_part, (y+1)·rows_per_part) of its columns into part_w/part_b[y, :], one thread per column, rows in order.
// part_b may be null (has_bias = 0). No atomics: norm_sum_parts_f32 adds the parts in a fixed order.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) layernorm_bwd_wb_parts_f32(const float* x, const float* mean, const float* rstd, const float* gy,
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
        float xh = __fmul_rn(__fsub_rn(x[r * d + col], mean[r]), rstd[r]);
        aw = __fadd_rn(__fmul_rn(g, xh), aw);
        ab = __fadd_rn(ab, g);
    }
    part_w[(long long)blockIdx.y * d + col] = aw;
    if (has_bias) part_b[(long long)blockIdx.y * d + col] = ab;
}

// Second pass: out[c] = Σ_p parts[p, c], p in order.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) norm_sum_parts_f32(const float* parts, float* out, int n_parts, int d)
{
    GRID_STRIDE(c, d)
    {
        float acc = 0.0f;
        for (int p = 0; p < n_parts; p++) acc = __fadd_rn(acc, parts[(long long)p * d + c]);
        out[c] = acc;
    }
}
