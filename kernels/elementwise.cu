// Elementwise kernels: twins of src/Runtime/Cpu/Elementwise (CpuElementwise): same-shape and row-broadcast binary ops,
// alpha·x+beta, unary ops and their gradients, sums over dims and broadcasts (rank ≤ 4), dtype casts, and the strided
// copy that makes a view dense.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) binary_f32(int op, const float* a, const float* b, float* y, long long n)
{
    GRID_STRIDE(i, n)
    {
        float x = a[i], z = b[i];
        y[i] = op == 0 ? x + z : op == 1 ? x - z : op == 2 ? x * z : x / z;
    }
}

// b broadcast along rows: a is [rows, cols], b is [cols] (bias add, scale by a vector).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) binary_rowbcast_f32(int op, const float* a, const float* b, float* y, long long rows, int cols)
{
    GRID_STRIDE(i, rows * cols)
    {
        float x = a[i], z = b[i % cols];
        y[i] = op == 0 ? x + z : op == 1 ? x - z : op == 2 ? x * z : x / z;
    }
}

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) affine_f32(const float* x, float* y, float alpha, float beta, long long n)
{
    GRID_STRIDE(i, n) y[i] = alpha * x[i] + beta;
}

// op codes follow Engine.Runtime.UnaryOp: Neg, Exp, Log, Sigmoid, LogSigmoid, Tanh, Relu, Sqrt, Square, Abs
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) unary_f32(int op, const float* x, float* y, long long n)
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

// gx = dy/dx · gy from the input x and the output y of unary_f32 (same op codes).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) unary_bwd_f32(int op, const float* x, const float* y, const float* gy, float* gx, long long n)
{
    GRID_STRIDE(i, n)
    {
        float xi = x[i], yi = y[i], g = gy[i], r;
        switch (op)
        {
            case 0: r = -g; break;
            case 1: r = g * yi; break;
            case 2: r = g / xi; break;
            case 3: r = g * yi * (1.0f - yi); break;
            case 4: r = g * (1.0f - 1.0f / (1.0f + expf(-xi))); break;
            case 5: r = g * (1.0f - yi * yi); break;
            case 6: r = xi > 0.0f ? g : 0.0f; break;
            case 7: r = g / (2.0f * yi); break;
            case 8: r = g * 2.0f * xi; break;
            default: r = xi > 0.0f ? g : (xi < 0.0f ? -g : 0.0f); break;
        }
        gx[i] = r;
    }
}

// y = sum of x over the flagged dims (rank ≤ 4, padded with leading 1s), kept as size 1. One thread per output element
// walks its reduced index space in order (deterministic). x contiguous.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) sum_dims_f32(const float* x, float* y, long long n0, long long n1, long long n2, long long n3, int r0, int r1, int r2, int r3)
{
    long long m0 = r0 ? 1 : n0, m1 = r1 ? 1 : n1, m2 = r2 ? 1 : n2, m3 = r3 ? 1 : n3;
    GRID_STRIDE(o, m0 * m1 * m2 * m3)
    {
        long long t = o, o3 = t % m3; t /= m3;
        long long o2 = t % m2; t /= m2;
        long long o1 = t % m1, o0 = t / m1;
        float acc = 0.0f;
        for (long long a = 0; a < (r0 ? n0 : 1); a++)
            for (long long b = 0; b < (r1 ? n1 : 1); b++)
                for (long long c = 0; c < (r2 ? n2 : 1); c++)
                    for (long long e = 0; e < (r3 ? n3 : 1); e++)
                    {
                        long long i0 = r0 ? a : o0, i1 = r1 ? b : o1, i2 = r2 ? c : o2, i3 = r3 ? e : o3;
                        acc += x[((i0 * n1 + i1) * n2 + i2) * n3 + i3];
                    }
        y[o] = acc;
    }
}

// y[i] = x[i with size-1 dims of x pinned to 0] (rank ≤ 4, x's shape k0..k3 is 1 or equal to y's n0..n3).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) broadcast_f32(const float* x, float* y, long long n0, long long n1, long long n2, long long n3, long long k0, long long k1, long long k2, long long k3)
{
    GRID_STRIDE(i, n0 * n1 * n2 * n3)
    {
        long long t = i, i3 = t % n3; t /= n3;
        long long i2 = t % n2; t /= n2;
        long long i1 = t % n1, i0 = t / n1;
        long long j = (((k0 == 1 ? 0 : i0) * k1 + (k1 == 1 ? 0 : i1)) * k2 + (k2 == 1 ? 0 : i2)) * k3 + (k3 == 1 ? 0 : i3);
        y[i] = x[j];
    }
}

extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) cast_f32_bf16(const float* x, bf16_t* y, long long n) { GRID_STRIDE(i, n) y[i] = f32_to_bf16(x[i]); }
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) cast_bf16_f32(const bf16_t* x, float* y, long long n) { GRID_STRIDE(i, n) y[i] = bf16_to_f32(x[i]); }
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) cast_f32_f16(const float* x, f16_t* y, long long n) { GRID_STRIDE(i, n) y[i] = f32_to_f16(x[i]); }
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) cast_f16_f32(const f16_t* x, float* y, long long n) { GRID_STRIDE(i, n) y[i] = f16_to_f32(x[i]); }
// I32 ids (targets, token ids) widened to the I64 the id kernels read.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) cast_i32_i64(const int* x, long long* y, long long n) { GRID_STRIDE(i, n) y[i] = (long long)x[i]; }

// dst[i] = src[i] over a 4-d index space with arbitrary element strides on both sides (4-byte elements).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) strided_copy_u32(const u32* src, u32* dst, long long n0, long long n1, long long n2, long long n3,
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
