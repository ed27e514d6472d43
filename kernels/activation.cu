// Pointwise MLP activations (ActivationKind) and the fused SwiGLU: twins of src/Runtime/Cpu/Activation (CpuActivation).
// kind: 0 = SiLU, 1 = exact GELU (erf), 2 = GELU tanh approximation; the values of Engine.Runtime.ActivationKind.
// The f32 kernels evaluate both GELUs and every gradient in f64 and round once, as the CPU does: the f32 formulas cancel
// (GELU' near x ≈ −0.75, SiLU' near −1.28, 1 + tanh → 0 for negative x) and would differ from the reference by more than
// the 1e-5 parity tolerance. SiLU's forward (no cancellation) stays in f32, each operation rounded separately (_rn) in
// the CPU's order. The bf16 forward computes in f32.
#include "common.cuh"

#define ACT_INV_SQRT2 0.70710678118654752440
#define ACT_INV_SQRT_2PI 0.39894228040143267794
#define ACT_SQRT_2_OVER_PI 0.79788456080286535588
#define ACT_TANH_CUBIC 0.044715

static __device__ __forceinline__ float act_sigmoid(float x) { return __fdiv_rn(1.0f, __fadd_rn(1.0f, expf(-x))); }

// GELU(x) = x·Φ(x), Φ(x) = ½·erfc(−x/√2), and its tanh approximation ½x(1 + tanh(k·x·(1 + c·x²))), in f64.
static __device__ __forceinline__ double act_gelu_f64(int kind, double x)
{
    if (kind == 1) return x * 0.5 * erfc(-x * ACT_INV_SQRT2);
    return 0.5 * x * (1.0 + tanh(ACT_SQRT_2_OVER_PI * (x * (1.0 + x * x * ACT_TANH_CUBIC))));
}

// silu'(x) = σ(x)·(1 + x·(1 − σ(x))); GELU'(x) = Φ(x) + x·φ(x); tanh form: ½(1 + th) + ½·x·(1 − th²)·k·(1 + 3c·x²).
static __device__ __forceinline__ double act_grad_f64(int kind, double x)
{
    if (kind == 0) { double s = 1.0 / (1.0 + exp(-x)); return s * (1.0 + x * (1.0 - s)); }
    if (kind == 1) return 0.5 * erfc(-x * ACT_INV_SQRT2) + x * ACT_INV_SQRT_2PI * exp(-0.5 * x * x);
    double x2 = x * x;
    double th = tanh(ACT_SQRT_2_OVER_PI * (x * (1.0 + x2 * ACT_TANH_CUBIC)));
    return 0.5 * (1.0 + th + x * ACT_SQRT_2_OVER_PI * (1.0 + 3.0 * ACT_TANH_CUBIC * x2) * (1.0 - th * th));
}

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) activation_fwd_f32(int kind, const float* x, float* y, long long n)
{
    GRID_STRIDE(i, n)
    {
        float v = x[i];
        y[i] = kind == 0 ? __fmul_rn(act_sigmoid(v), v) : (float)act_gelu_f64(kind, (double)v);
    }
}

// gx = act'(x)·gy, recomputed from x, in f64 for every kind (as CpuActivation does for F32 data), rounded once.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) activation_bwd_f32(int kind, const float* x, const float* gy, float* gx, long long n)
{
    GRID_STRIDE(i, n)
    {
        float v = x[i];
        gx[i] = (float)(act_grad_f64(kind, (double)v) * (double)gy[i]);
    }
}

// bf16 in/out: f32 arithmetic (erfcf, tanhf), one rounding to bf16 at the end.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) activation_fwd_bf16(int kind, const bf16_t* x, bf16_t* y, long long n)
{
    GRID_STRIDE(i, n)
    {
        float v = bf16_to_f32(x[i]), r;
        if (kind == 0) r = v * act_sigmoid(v);
        else if (kind == 1) r = v * 0.5f * erfcf(-v * (float)ACT_INV_SQRT2);
        else r = 0.5f * v * (1.0f + tanhf((float)ACT_SQRT_2_OVER_PI * (v * (1.0f + v * v * (float)ACT_TANH_CUBIC))));
        y[i] = f32_to_bf16(r);
    }
}

// SwiGLU: y = silu(gate) · up.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) swiglu_fwd_f32(const float* gate, const float* up, float* y, long long n)
{
    GRID_STRIDE(i, n) { float g = gate[i]; y[i] = g / (1.0f + expf(-g)) * up[i]; }
}

// dg = gy·u·σ(g)(1 + g(1 − σ(g))), du = gy·silu(g).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) swiglu_bwd_f32(const float* gate, const float* up, const float* gy, float* dgate, float* dup, long long n)
{
    GRID_STRIDE(i, n)
    {
        float g = gate[i], s = 1.0f / (1.0f + expf(-g));
        dgate[i] = gy[i] * up[i] * s * (1.0f + g * (1.0f - s));
        dup[i] = gy[i] * g * s;
    }
}
