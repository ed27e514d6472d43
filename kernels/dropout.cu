// Inverted dropout from the Philox stream (seed, offset): twin of src/Runtime/Cpu/Dropout (CpuDropout).
// Element i is kept iff (word_i ≫ 8) ≥ threshold, threshold = ⌈p·2²⁴⌉ computed on the host exactly as the CPU does;
// that integer test equals philox_uniform(word_i) ≥ p, so the mask is bit-identical to the CPU's, and a kept value
// is one f32 multiply by the same host-rounded scale, so outputs are exactly equal. Backward is the same call on dL/dy.
#include "common.cuh"

// The four words of Philox block `ctr` with key `seed` (philox_word computes one of them; dropout needs all four).
static __device__ __forceinline__ void dropout_philox4(u64 seed, u64 ctr, u32 out[4])
{
    u32 c0 = (u32)ctr, c1 = (u32)(ctr >> 32), c2 = 0, c3 = 0;
    u32 k0 = (u32)seed, k1 = (u32)(seed >> 32);
    #pragma unroll
    for (int r = 0; r < 10; r++)
    {
        u32 hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        u32 hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        u32 n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

// One thread per group of four elements (one Philox block).
extern "C" __global__ void dropout_f32(const float* x, float* y, long long n, u64 seed, u64 offset, u32 threshold, float scale)
{
    GRID_STRIDE(g, (n + 3) / 4)
    {
        u32 w[4];
        dropout_philox4(seed, offset + (u64)g, w);
        long long base = g * 4;
        #pragma unroll
        for (int j = 0; j < 4; j++)
            if (base + j < n) y[base + j] = (w[j] >> 8) >= threshold ? x[base + j] * scale : 0.0f;
    }
}

// bf16 in/out: the kept value is rounded once from the f32 product.
extern "C" __global__ void dropout_bf16(const bf16_t* x, bf16_t* y, long long n, u64 seed, u64 offset, u32 threshold, float scale)
{
    GRID_STRIDE(g, (n + 3) / 4)
    {
        u32 w[4];
        dropout_philox4(seed, offset + (u64)g, w);
        long long base = g * 4;
        #pragma unroll
        for (int j = 0; j < 4; j++)
            if (base + j < n) y[base + j] = (w[j] >> 8) >= threshold ? f32_to_bf16(bf16_to_f32(x[base + j]) * scale) : (bf16_t)0;
    }
}
