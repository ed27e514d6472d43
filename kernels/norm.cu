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
