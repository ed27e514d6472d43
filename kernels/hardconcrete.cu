// Hard-concrete (L0) mask kernels for DRPruning: twins of src/Runtime/Cpu/HardConcrete/CpuHardConcrete.cs.
// Constants as in Engine.Runtime.HardConcrete (cast from the same double literals, so the f32 values match).
#include "common.cuh"

#define HC_L ((float)(-0.1))
#define HC_STRETCH ((float)1.2)               // r − l
#define HC_BETA ((float)(2.0 / 3.0))
#define HC_EPS ((float)1e-6)
#define HC_MAGIC ((float)0.8)
#define HC_SHIFT ((float)1.598596848532247)   // −β·logit(1/12) = β·ln 11
#define HC_SHIFT_D 1.598596848532247
#define HC_EVAL_BLOCK 256

// u = fma(U, 0.999998f, 1e-6f), U the 24-bit Philox uniform: one rounding, the same bits as HardConcrete.Noise.
__device__ __forceinline__ float hc_noise(u64 seed, u64 offset, u64 i)
{
    return __fmaf_rn(philox_uniform(philox_word(seed, offset, i)), 0.999998f, 1e-6f);
}

// s = σ((ln u − ln(1−u) + log α)/β) and the stretched value s·(r−l)+l before the clamp to [0,1].
__device__ __forceinline__ float hc_stretched(float la, float u, float* s_out)
{
    float x = (logf(u) - logf(1.0f - u) + la) / HC_BETA;
    float s = 1.0f / (1.0f + expf(-x));
    *s_out = s;
    return __fmaf_rn(s, HC_STRETCH, HC_L);
}

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) hc_sample_f32(const float* la, float* z, u64 seed, u64 offset, long long n)
{
    GRID_STRIDE(i, n)
    {
        float s, zr = hc_stretched(la[i], hc_noise(seed, offset, (u64)i), &s);
        z[i] = fminf(fmaxf(zr, 0.0f), 1.0f);
    }
}

// dz/dlog α = s(1−s)·(r−l)/β inside the open interval (0,1) of the stretched value, 0 where the clamp holds.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) hc_sample_bwd_f32(const float* la, const float* gz, float* g, u64 seed, u64 offset, long long n)
{
    const float gain = HC_STRETCH / HC_BETA;
    GRID_STRIDE(i, n)
    {
        float s, zr = hc_stretched(la[i], hc_noise(seed, offset, (u64)i), &s);
        g[i] = zr > 0.0f && zr < 1.0f ? gz[i] * (s * (1.0f - s)) * gain : 0.0f;
    }
}

// c = σ(β·logit(1/12) − log α): the CDF at 0 before its clamp to [ε, 1−ε]; score = 1 − clamp(c).
__device__ __forceinline__ float hc_cdf(float la) { return 1.0f / (1.0f + expf(la + HC_SHIFT)); }

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) hc_score_f32(const float* la, float* y, long long n)
{
    GRID_STRIDE(i, n) y[i] = 1.0f - fminf(fmaxf(hc_cdf(la[i]), HC_EPS), 1.0f - HC_EPS);
}

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) hc_score_bwd_f32(const float* la, const float* gs, float* g, long long n)
{
    GRID_STRIDE(i, n)
    {
        float c = hc_cdf(la[i]);
        g[i] = c >= HC_EPS && c <= 1.0f - HC_EPS ? gs[i] * (c * (1.0f - c)) : 0.0f;
    }
}

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) hc_clamp_f32(float* x, float lo, float hi, long long n)
{
    GRID_STRIDE(i, n) x[i] = fminf(fmaxf(x[i], lo), hi);
}

// exp in f64 from fma, ×, ÷ only (HardConcrete.DeterministicExp): the eval mask's k must not depend on libm.
__device__ __forceinline__ double hc_exp_det(double x)
{
    x = fmin(fmax(x, -700.0), 700.0);
    double n = floor(fma(x, __longlong_as_double(0x3FF71547652B82FELL), 0.5));
    double r = fma(-n, __longlong_as_double(0x3FE62E42FEE00000LL), x);
    r = fma(-n, __longlong_as_double(0x3DEA39EF35793C76LL), r);
    double p = 1.0;
    for (int k = 14; k >= 1; k--) p = fma(r / (double)k, p, 1.0);
    return p * __longlong_as_double((long long)((int)n + 1023) << 52);
}

__device__ __forceinline__ double hc_score_det(double la)
{
    double c = 1.0 / (1.0 + hc_exp_det(la + HC_SHIFT_D));
    return 1.0 - fmin(fmax(c, 1e-6), 1.0 - 1e-6);
}

// Total order on floats as unsigned keys (−0 folded onto +0): a < b ⇔ key(a) < key(b).
__device__ __forceinline__ u32 hc_key(float v)
{
    u32 b = __float_as_uint(v == 0.0f ? 0.0f : v);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__device__ __forceinline__ float hc_soft(float la) { return 1.0f / (1.0f + expf(-(la / HC_BETA * HC_MAGIC))); }

// Deterministic eval mask, one block of HC_EVAL_BLOCK threads per row of n. k = n − target (target ≥ 0), else
// round-half-even(n − Σ score) with the f64 score summed in a fixed order (thread-strided partials, then a pairwise
// tree), as the CPU does. The k smallest log α are zeroed (ties: highest index first); survivors keep the soft value.
// Selection: 8-bit radix select of the rank-(k−1) key with shared-memory histograms (integer atomics: exact).
extern "C" __global__ void __launch_bounds__(HC_EVAL_BLOCK) hc_eval_mask_f32(const float* la, float* y, int n, int target)
{
    __shared__ double part[HC_EVAL_BLOCK];
    __shared__ unsigned int hist[256];
    __shared__ u32 sh_prefix;
    __shared__ int sh_want, sh_eq;
    const float* x = la + (long long)blockIdx.x * n;
    float* out = y + (long long)blockIdx.x * n;
    int t = threadIdx.x;

    int k;
    if (target >= 0) k = n - target;
    else
    {
        double acc = 0.0;
        for (int j = t; j < n; j += HC_EVAL_BLOCK) acc += hc_score_det((double)x[j]);
        part[t] = acc;
        __syncthreads();
        for (int s = HC_EVAL_BLOCK / 2; s > 0; s >>= 1)
        {
            if (t < s) part[t] += part[t + s];
            __syncthreads();
        }
        double kd = rint((double)n - part[0]);
        k = (int)fmin(fmax(kd, 0.0), (double)n);
    }
    if (k <= 0) { for (int j = t; j < n; j += HC_EVAL_BLOCK) out[j] = hc_soft(x[j]); return; }
    if (k >= n) { for (int j = t; j < n; j += HC_EVAL_BLOCK) out[j] = 0.0f; return; }

    u32 prefix = 0, mask = 0;
    int want = k - 1, eq = 0;   // want: rank of the threshold among the candidates still matching prefix
    for (int shift = 24; shift >= 0; shift -= 8)
    {
        hist[t] = 0;
        __syncthreads();
        for (int j = t; j < n; j += HC_EVAL_BLOCK)
        {
            u32 key = hc_key(x[j]);
            if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1u);
        }
        __syncthreads();
        if (t == 0)
        {
            int w = want;
            u32 b = 0;
            while (w >= (int)hist[b]) { w -= (int)hist[b]; b++; }
            sh_prefix = prefix | (b << shift);
            sh_want = w;
            sh_eq = (int)hist[b];
        }
        __syncthreads();
        prefix = sh_prefix; want = sh_want; eq = sh_eq;
        mask |= 255u << shift;
        __syncthreads();
    }
    // prefix is the threshold key; eq entries share it, of which want+1 are zeroed (the highest indices).
    int m = want + 1;
    for (int j = t; j < n; j += HC_EVAL_BLOCK)
    {
        u32 key = hc_key(x[j]);
        out[j] = key < prefix || (key == prefix && m == eq) ? 0.0f : hc_soft(x[j]);
    }
    __syncthreads();
    if (m < eq && t == 0)
        for (int j = n - 1, left = m; j >= 0 && left > 0; j--)
            if (hc_key(x[j]) == prefix) { out[j] = 0.0f; left--; }
}
