// Elementwise kernels: twins of src/Runtime/Cpu/Elementwise/CpuElementwise.cs (same-shape binary ops,
// alpha·x+beta, unary ops) for f32, and dtype casts between f32 and bf16.
#include "common.cuh"

extern "C" __global__ void binary_f32(int op, const float* a, const float* b, float* y, long long n)
{
    GRID_STRIDE(i, n)
    {
        float x = a[i], z = b[i];
        y[i] = op == 0 ? x + z : op == 1 ? x - z : op == 2 ? x * z : x / z;
    }
}

// b broadcast along rows: a is [rows, cols], b is [cols] (bias add, scale by a vector).
extern "C" __global__ void binary_rowbcast_f32(int op, const float* a, const float* b, float* y, long long rows, int cols)
{
    GRID_STRIDE(i, rows * cols)
    {
        float x = a[i], z = b[i % cols];
        y[i] = op == 0 ? x + z : op == 1 ? x - z : op == 2 ? x * z : x / z;
    }
}

extern "C" __global__ void affine_f32(const float* x, float* y, float alpha, float beta, long long n)
{
    GRID_STRIDE(i, n) y[i] = alpha * x[i] + beta;
}

// op codes follow Engine.Runtime.UnaryOp: Neg, Exp, Log, Sigmoid, LogSigmoid, Tanh, Relu, Sqrt, Square, Abs
extern "C" __global__ void unary_f32(int op, const float* x, float* y, long long n)
{
    GRID_STRIDE(i, n)
    {
        float v = x[i], r;
        switch (op)
        {
            case 0: r = -v; break;
            case 1: r = expf(v); break;
            case 2: r = logf(v); break;
            case 3: r = 1.0f / (1.0f + expf(-v)); break;
            case 4: r = fminf(v, 0.0f) - log1pf(expf(-fabsf(v))); break;
            case 5: r = tanhf(v); break;
            case 6: r = v > 0.0f ? v : 0.0f; break;
            case 7: r = sqrtf(v); break;
            case 8: r = v * v; break;
            default: r = fabsf(v); break;
        }
        y[i] = r;
    }
}

extern "C" __global__ void cast_f32_bf16(const float* x, bf16_t* y, long long n) { GRID_STRIDE(i, n) y[i] = f32_to_bf16(x[i]); }
extern "C" __global__ void cast_bf16_f32(const bf16_t* x, float* y, long long n) { GRID_STRIDE(i, n) y[i] = bf16_to_f32(x[i]); }
extern "C" __global__ void cast_f32_f16(const float* x, f16_t* y, long long n) { GRID_STRIDE(i, n) y[i] = f32_to_f16(x[i]); }
extern "C" __global__ void cast_f16_f32(const f16_t* x, float* y, long long n) { GRID_STRIDE(i, n) y[i] = f16_to_f32(x[i]); }

// Philox stream check: y[i] = word i of (seed, offset). Used by the parity suite against the CPU generator.
extern "C" __global__ void philox_words(u64 seed, u64 offset, u32* y, long long n) { GRID_STRIDE(i, n) y[i] = philox_word(seed, offset, (u64)i); }
