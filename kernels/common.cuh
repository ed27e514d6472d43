// Shared device helpers for every kernel family. No CUDA toolkit headers: NVRTC on a CPU-only CI
// machine compiles these sources with nothing but its built-ins.
#pragma once

typedef unsigned short bf16_t;   // raw bfloat16 bits
typedef unsigned int u32;
typedef unsigned long long u64;

// No math headers under NVRTC: infinity and a quiet NaN from their bit patterns.
#define ENGINE_INF __int_as_float(0x7f800000)
#define ENGINE_NAN __int_as_float(0x7fc00000)

// Threads per block of every kernel that does not say otherwise. Each kernel states its block size once, as
// __launch_bounds__(N); the C# launchers generated from these files (`engine kernels launchers`) launch N threads
// unless a call asks for fewer.
#define ENGINE_BLOCK 256

__device__ __forceinline__ float bf16_to_f32(bf16_t b) { return __uint_as_float(((u32)b) << 16); }

// Round to nearest even, NaN kept quiet: the same rule as the CPU's DTypeConvert.FloatToBf16.
__device__ __forceinline__ bf16_t f32_to_bf16(float f)
{
    u32 bits = __float_as_uint(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (bf16_t)((bits >> 16) | 0x40u);
    u32 lsb = (bits >> 16) & 1u;
    return (bf16_t)((bits + 0x7fffu + lsb) >> 16);
}

typedef unsigned short f16_t;    // raw IEEE half bits

// f32 → f16, round to nearest even, with subnormals, overflow to ±inf and quiet NaN (no cuda_fp16.h under NVRTC on CI).
__device__ __forceinline__ f16_t f32_to_f16(float f)
{
    u32 x = __float_as_uint(f), sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (f16_t)(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
    if (ax >= 0x477ff000u) return (f16_t)(sign | 0x7c00u);                       // ≥ 65520 rounds past 65504
    if (ax >= 0x38800000u) return (f16_t)(sign | ((ax + 0x0fffu + ((ax >> 13) & 1u) - 0x38000000u) >> 13)); // normal
    if (ax < 0x33000000u) return (f16_t)sign;                                     // < 2^-25: ±0
    u32 e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u, shift = 126 - e;          // subnormal: k = m·2^(e−126)
    u32 k = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (k & 1u))) k++;
    return (f16_t)(sign | k);
}

__device__ __forceinline__ float f16_to_f32(f16_t h)
{
    u32 sign = ((u32)h & 0x8000u) << 16, e = ((u32)h >> 10) & 0x1fu, m = (u32)h & 0x3ffu;
    if (e == 0x1fu) return __uint_as_float(sign | 0x7f800000u | (m << 13));
    if (e == 0) { float v = (float)m * 5.9604644775390625e-8f; return sign ? -v : v; } // m·2^-24, exact
    return __uint_as_float(sign | ((e + 112u) << 23) | (m << 13));
}

// Philox4x32-10: the four words of block `ctr` under key `seed` (dropout uses all four of a block).
__device__ __forceinline__ void philox4(u64 seed, u64 ctr, u32 out[4])
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

// Word `index` of the stream (seed, offset): bit-identical to Engine.Runtime.Philox.Word.
__device__ __forceinline__ u32 philox_word(u64 seed, u64 offset, u64 index)
{
    u32 w[4];
    philox4(seed, offset + index / 4, w);
    switch (index & 3) { case 0: return w[0]; case 1: return w[1]; case 2: return w[2]; default: return w[3]; }
}

// Uniform in [0,1) from the top 24 bits, exactly as Philox.ToUniform on the CPU.
__device__ __forceinline__ float philox_uniform(u32 w) { return (float)(w >> 8) * (1.0f / 16777216.0f); }

// Grid-stride loop over n elements.
#define GRID_STRIDE(i, n) for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); i += (long long)blockDim.x * gridDim.x)

// Reductions across a block (blockDim.x a multiple of 32, at most 1024). `buf` is __shared__ float[32].
__device__ __forceinline__ float warp_sum(float v)
{
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v)
{
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ __forceinline__ float block_sum(float v, float* buf)
{
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    if (lane == 0) buf[w] = v;
    __syncthreads();
    v = threadIdx.x < nw ? buf[threadIdx.x] : 0.0f;
    if (w == 0) v = warp_sum(v);
    if (threadIdx.x == 0) buf[0] = v;
    __syncthreads();
    float r = buf[0];
    __syncthreads();
    return r;
}

__device__ __forceinline__ float block_max(float v, float* buf)
{
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    if (lane == 0) buf[w] = v;
    __syncthreads();
    v = threadIdx.x < nw ? buf[threadIdx.x] : -ENGINE_INF;
    if (w == 0) v = warp_max(v);
    if (threadIdx.x == 0) buf[0] = v;
    __syncthreads();
    float r = buf[0];
    __syncthreads();
    return r;
}

// Σ over the block in f64 (statistics that are rounded to f32 once, to match the CPU reference); `buf` is __shared__ double[32].
__device__ __forceinline__ double block_sum_f64(double v, double* buf)
{
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (lane == 0) buf[w] = v;
    __syncthreads();
    v = threadIdx.x < nw ? buf[threadIdx.x] : 0.0;
    if (w == 0)
    {
        #pragma unroll
        for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    if (threadIdx.x == 0) buf[0] = v;
    __syncthreads();
    double r = buf[0];
    __syncthreads();
    return r;
}
