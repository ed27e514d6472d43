// Inverted dropout from the Philox stream (seed, offset): twin of src/Runtime/Cpu/Dropout (CpuDropout).
// Element i is kept iff (word_i ≫ 8) ≥ threshold, threshold = ⌈p·2²⁴⌉ computed on the host exactly as the CPU does;
// that integer test equals philox_uniform(word_i) ≥ p, so the mask is bit-identical to the CPU's, and a kept value
// is one f32 multiply by the same host-rounded scale, so outputs are exactly equal. Backward is the same call on dL/dy.
#include "common.cuh"

// One thread per group of four elements (one Philox block).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) dropout_f32(const float* x, float* y, long long n, u64 seed, u64 offset, u32 threshold, float scale)
{
    GRID_STRIDE(g, (n + 3) / 4)
    {
        u32 w[4];
        philox4(seed, offset + (u64)g, w);
        long long base = g * 4;
        #pragma unroll
        for (int j = 0; j < 4; j++)
            if (base + j < n) y[base + j] = (w[j] >> 8) >= threshold ? x[base + j] * scale : 0.0f;
    }
}

// bf16 in/out: the kept value is rounded once from the f32 product.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) dropout_bf16(const bf16_t* x, bf16_t* y, long long n, u64 seed, u64 offset, u32 threshold, float scale)
{
    GRID_STRIDE(g, (n + 3) / 4)
    {
        u32 w[4];
        philox4(seed, offset + (u64)g, w);
        long long base = g * 4;
        #pragma unroll
        for (int j = 0; j < 4; j++)
            if (base + j < n) y[base + j] = (w[j] >> 8) >= threshold ? f32_to_bf16(bf16_to_f32(x[base + j]) * scale) : (bf16_t)0;
    }
}
