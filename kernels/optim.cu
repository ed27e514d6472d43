// Optimizer kernels (f32): twins of src/Runtime/Cpu/Optim. The fused AdamW step (one tensor, or every parameter in one
// launch), and the squared-norm partial sums and in-place scaling of gradient clipping.
#include "common.cuh"

// Per-block partial sums of x² (summed on the host in block order: deterministic).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) sum_squares_partial_f32(const float* x, float* partial, long long n)
{
    __shared__ float buf[32];
    float s = 0.0f;
    GRID_STRIDE(i, n) s += x[i] * x[i];
    s = block_sum(s, buf);
    if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) scale_inplace_f32(float* x, float factor, long long n) { GRID_STRIDE(i, n) x[i] *= factor; }

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

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) adamw_f32(float* p, const float* g, float* m, float* v, long long n, float decay, float w1, float one_minus_w1,
    int lerp_from_start, float b2, float w2, float step_size, float bc2_sqrt, float eps, int apply_decay)
{
    GRID_STRIDE(i, n) adamw_element(p, g, m, v, i, decay, w1, one_minus_w1, lerp_from_start, b2, w2, step_size, bc2_sqrt, eps, apply_decay);
}

// Multi-tensor AdamW: every parameter of a model in one launch. meta = [4·T addresses (p, g, m, v per tensor) | T sizes |
// 2 per block: (tensor, first element)]; block b updates elements [first, first + chunk) of its tensor.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) adamw_multi_f32(const long long* meta, int tensors, long long chunk, float decay, float w1, float one_minus_w1,
    int lerp_from_start, float b2, float w2, float step_size, float bc2_sqrt, float eps, int apply_decay)
{
    long long t = meta[5LL * tensors + 2LL * blockIdx.x], first = meta[5LL * tensors + 2LL * blockIdx.x + 1];
    float* p = (float*)meta[4 * t]; const float* g = (const float*)meta[4 * t + 1];
    float* m = (float*)meta[4 * t + 2]; float* v = (float*)meta[4 * t + 3];
    long long end = first + chunk < meta[4LL * tensors + t] ? first + chunk : meta[4LL * tensors + t];
    for (long long i = first + threadIdx.x; i < end; i += blockDim.x)
        adamw_element(p, g, m, v, i, decay, w1, one_minus_w1, lerp_from_start, b2, w2, step_size, bc2_sqrt, eps, apply_decay);
}
