// Warp-level bf16 tensor-core MMA (m16n8k16, f32 accumulation) and the bf16 packing helpers around it.
//
// Fragment layout (PTX ISA, "Matrix Fragments for mma.m16n8k16 with floating point type", anchor
// #warp-level-matrix-fragment-mma-16816-float; §9.7.14.5.8 in ISA 8.x, renumbered in later versions), with g = lane >> 2 (groupID) and t = lane & 3 (threadID_in_group); each 32-bit
// register holds two bf16, the lower-indexed element in the low 16 bits:
//   A (16×16, row-major):  a[0] = A[g][2t..2t+1]     a[1] = A[g+8][2t..2t+1]
//                          a[2] = A[g][2t+8..2t+9]   a[3] = A[g+8][2t+8..2t+9]
//   B (16×8, "col"):       b[0] = B[2t..2t+1][g]     b[1] = B[2t+8..2t+9][g]
//   C/D (16×8, f32):       c[0] = C[g][2t]  c[1] = C[g][2t+1]  c[2] = C[g+8][2t]  c[3] = C[g+8][2t+1]
// Cross-checked against a public ldmatrix-free loader that reads A/B from shared memory by the same explicit indices.
// Kernels using these helpers load fragments by explicit index (no ldmatrix), so the whole kernel also runs on the
// CPU emulator, where the MMA below is rebuilt from __shfl_sync alone.
#pragma once
#include "common.cuh"

// 16-byte vector for staging loads/stores (our own type: no vector_types.h under NVRTC or the emulator).
struct alignas(16) u32x4 { u32 x, y, z, w; };

// 32- and 128-bit accesses to bf16 storage. On the emulator (plain g++, strict aliasing) through memcpy, which
// compiles to the same single load/store; on the GPU a direct vector access (callers guarantee the alignment).
__device__ __forceinline__ u32 ld_u32(const void* p)
{
#if defined(ENGINE_CUDA_EMULATOR)
    u32 x; memcpy(&x, p, 4); return x;
#else
    return *(const u32*)p;
#endif
}
__device__ __forceinline__ void st_u32(void* p, u32 x)
{
#if defined(ENGINE_CUDA_EMULATOR)
    memcpy(p, &x, 4);
#else
    *(u32*)p = x;
#endif
}
__device__ __forceinline__ u32x4 ld_u32x4(const void* p)
{
#if defined(ENGINE_CUDA_EMULATOR)
    u32x4 x; memcpy(&x, p, 16); return x;
#else
    return *(const u32x4*)p;
#endif
}
__device__ __forceinline__ void st_u32x4(void* p, u32x4 x)
{
#if defined(ENGINE_CUDA_EMULATOR)
    memcpy(p, &x, 16);
#else
    *(u32x4*)p = x;
#endif
}

__device__ __forceinline__ u32 pack_bf16x2(bf16_t lo, bf16_t hi) { return (u32)lo | ((u32)hi << 16); }
__device__ __forceinline__ u32 pack_f32_bf16x2(float lo, float hi) { return pack_bf16x2(f32_to_bf16(lo), f32_to_bf16(hi)); }
__device__ __forceinline__ float bf16x2_lo(u32 w) { return __uint_as_float(w << 16); }
__device__ __forceinline__ float bf16x2_hi(u32 w) { return __uint_as_float(w & 0xffff0000u); }

__device__ __forceinline__ u32 mma_shfl(u32 x, int src) { return (u32)__shfl_sync(0xffffffffu, (int)x, src); }

// d = A·B + c for one warp (all 32 lanes must call it together). d may alias c.
__device__ __forceinline__ void mma_m16n8k16_bf16(float d[4], const u32 a[4], const u32 b[2], const float c[4])
{
#if defined(ENGINE_CUDA_EMULATOR) || (defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800)
    // Portable twin built only from shuffles: this lane outputs rows g, g+8 × columns 2t, 2t+1, so it gathers
    // A rows g and g+8 from lanes 4g+j and B columns 2t, 2t+1 from lanes 4·(2t)+j and 4·(2t+1)+j (j = 0..3);
    // lane j's registers cover k = 2j, 2j+1 (low registers) and k = 2j+8, 2j+9 (high registers).
    int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
    float acc0 = c[0], acc1 = c[1], acc2 = c[2], acc3 = c[3];
    for (int j = 0; j < 4; j++)
    {
        u32 ag0 = mma_shfl(a[0], 4 * g + j), ah0 = mma_shfl(a[1], 4 * g + j);     // rows g / g+8, k = 2j, 2j+1
        u32 ag1 = mma_shfl(a[2], 4 * g + j), ah1 = mma_shfl(a[3], 4 * g + j);     // rows g / g+8, k = 2j+8, 2j+9
        u32 b00 = mma_shfl(b[0], 4 * (2 * t) + j), b01 = mma_shfl(b[1], 4 * (2 * t) + j);         // column 2t
        u32 b10 = mma_shfl(b[0], 4 * (2 * t + 1) + j), b11 = mma_shfl(b[1], 4 * (2 * t + 1) + j); // column 2t+1
        acc0 += bf16x2_lo(ag0) * bf16x2_lo(b00) + bf16x2_hi(ag0) * bf16x2_hi(b00) + bf16x2_lo(ag1) * bf16x2_lo(b01) + bf16x2_hi(ag1) * bf16x2_hi(b01);
        acc1 += bf16x2_lo(ag0) * bf16x2_lo(b10) + bf16x2_hi(ag0) * bf16x2_hi(b10) + bf16x2_lo(ag1) * bf16x2_lo(b11) + bf16x2_hi(ag1) * bf16x2_hi(b11);
        acc2 += bf16x2_lo(ah0) * bf16x2_lo(b00) + bf16x2_hi(ah0) * bf16x2_hi(b00) + bf16x2_lo(ah1) * bf16x2_lo(b01) + bf16x2_hi(ah1) * bf16x2_hi(b01);
        acc3 += bf16x2_lo(ah0) * bf16x2_lo(b10) + bf16x2_hi(ah0) * bf16x2_hi(b10) + bf16x2_lo(ah1) * bf16x2_lo(b11) + bf16x2_hi(ah1) * bf16x2_hi(b11);
    }
    d[0] = acc0; d[1] = acc1; d[2] = acc2; d[3] = acc3;
#else
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};\n"
        : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
#endif
}
