// Pointwise MLP activations (ActivationKind): twins of src/Runtime/Cpu/Activation (CpuActivation).
// kind: 0 = SiLU, 1 = exact GELU (erf), 2 = GELU tanh approximation; the values of Engine.Runtime.ActivationKind.
// The CPU evaluates exact GELU in f64 with its own erf; here erfcf (a few ulp in f32, relative accuracy kept in the
// negative tail) gives the f32 result to ~1e-6 relative, inside the 1e-5 parity tolerance.
#include "common.cuh"

#define ACT_INV_SQRT2 0.70710678118654752440f
#define ACT_INV_SQRT_2PI 0.39894228040143267794f
#define ACT_SQRT_2_OVER_PI 0.79788456080286535588f
#define ACT_TANH_CUBIC 0.044715f

static __device__ __forceinline__ float act_fwd(int kind, float x)
{
    if (kind == 0) return x * (1.0f / (1.0f + expf(-x)));
    // Φ(x) = ½·erfc(−x/√2)
    if (kind == 1) return x * 0.5f * erfcf(-x * ACT_INV_SQRT2);
    float th = tanhf(ACT_SQRT_2_OVER_PI * (x * (1.0f + x * x * ACT_TANH_CUBIC)));
    return 0.5f * x * (1.0f + th);
}

static __device__ __forceinline__ float act_grad(int kind, float x)
{
    // silu'(x) = σ(x)·(1 + x·(1 − σ(x)))
    if (kind == 0) { float s = 1.0f / (1.0f + expf(-x)); return s * (1.0f + x * (1.0f - s)); }
    // GELU'(x) = Φ(x) + x·φ(x)
    if (kind == 1) return 0.5f * erfcf(-x * ACT_INV_SQRT2) + x * ACT_INV_SQRT_2PI * expf(-0.5f * x * x);
    // ½(1 + th) + ½·x·(1 − th²)·k·(1 + 3c·x²)
    float x2 = x * x;
    float th = tanhf(ACT_SQRT_2_OVER_PI * (x * (1.0f + x2 * ACT_TANH_CUBIC)));
    return 0.5f * (1.0f + th + x * ACT_SQRT_2_OVER_PI * (1.0f + 3.0f * ACT_TANH_CUBIC * x2) * (1.0f - th * th));
}

extern "C" __global__ void activation_fwd_f32(int kind, const float* x, float* y, long long n)
{
    GRID_STRIDE(i, n) y[i] = act_fwd(kind, x[i]);
}

// bf16 in/out, f32 arithmetic, one rounding at the end.
extern "C" __global__ void activation_fwd_bf16(int kind, const bf16_t* x, bf16_t* y, long long n)
{
    GRID_STRIDE(i, n) y[i] = f32_to_bf16(act_fwd(kind, bf16_to_f32(x[i])));
}

// gx = act'(x)·gy, recomputed from x.
extern "C" __global__ void activation_bwd_f32(int kind, const float* x, const float* gy, float* gx, long long n)
{
    GRID_STRIDE(i, n) gx[i] = act_grad(kind, x[i]) * gy[i];
}
