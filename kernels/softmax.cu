// Softmax / log-softmax over the last dim: twins of src/Runtime/Cpu/Softmax. One block per row.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) softmax_fwd_f32(const float* x, float* y, int n, int log_softmax)
{
    __shared__ float buf[32];
    const float* xr = x + (long long)blockIdx.x * n;
    float* yr = y + (long long)blockIdx.x * n;
    float m = -ENGINE_INF;
    for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, xr[i]);
    m = block_max(m, buf);
    float s = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += expf(xr[i] - m);
    s = block_sum(s, buf);
    float ls = logf(s);
    for (int i = threadIdx.x; i < n; i += blockDim.x) yr[i] = log_softmax ? xr[i] - m - ls : expf(xr[i] - m) / s;
}

// softmax: gx = y∘(gy − Σ gy∘y); log-softmax: gx = gy − exp(y)·Σ gy.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) softmax_bwd_f32(const float* y, const float* gy, float* gx, int n, int log_softmax)
{
    __shared__ float buf[32];
    long long off = (long long)blockIdx.x * n;
    float s = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) s += log_softmax ? gy[off + i] : gy[off + i] * y[off + i];
    s = block_sum(s, buf);
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        gx[off + i] = log_softmax ? gy[off + i] - expf(y[off + i]) * s : y[off + i] * (gy[off + i] - s);
}
