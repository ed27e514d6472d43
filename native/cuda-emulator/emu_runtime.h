// CUDA device-side vocabulary for compiling kernels/*.cu as plain C++ on the CPU emulator.
// Force-included (`g++ -x c++ -include emu_runtime.h`) into every kernel translation unit.
//
// Model: a block's CUDA threads are cooperative fibers on ONE OS thread and blocks run one after another,
// so a function-local `static` array is exactly one block's __shared__ memory. Barriers and warp
// collectives are implemented by the scheduler in emu_fiber.cpp.
#pragma once

#define ENGINE_CUDA_EMULATOR 1

#include <math.h>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

// ---- qualifiers -----------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Section "emu_shared" lets the scheduler poison all static shared memory (0xFF = NaN) before every block,
// so a kernel that reads shared memory it never wrote this block is caught instead of seeing stale data.
#define __shared__ static __attribute__((section("emu_shared"), aligned(16)))

// ---- vector types (uint3 and dim3 come from emu_abi.h) ------------------------------------------------
#include "emu_abi.h"
struct __attribute__((aligned(8))) float2 { float x, y; };
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
struct __attribute__((aligned(8))) int2 { int x, y; };
struct __attribute__((aligned(16))) int4 { int x, y, z, w; };
struct __attribute__((aligned(8))) uint2 { unsigned int x, y; };
struct __attribute__((aligned(16))) uint4 { unsigned int x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }

#define threadIdx (static_cast<const uint3&>(::emu::g_cur->tid))
#define blockIdx (static_cast<const uint3&>(::emu::g_block_idx))
#define blockDim (static_cast<const uint3&>(::emu::g_block_dim))
#define gridDim (static_cast<const uint3&>(::emu::g_grid_dim))
#define warpSize 32

#define __syncthreads() ::emu::syncthreads(__FILE__, __LINE__)
#define __syncthreads_count(pred) ::emu::syncthreads_count((pred) != 0, __FILE__, __LINE__)
#define __syncthreads_and(pred) (::emu::syncthreads_count(!(pred), __FILE__, __LINE__) == 0)
#define __syncthreads_or(pred) (::emu::syncthreads_count((pred) != 0, __FILE__, __LINE__) != 0)
#define __trap() ::emu::trap("__trap()", __FILE__, __LINE__)
#define __threadfence() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define __threadfence_block() __atomic_signal_fence(__ATOMIC_SEQ_CST)

// __builtin_FILE()/__builtin_LINE() as default arguments name the kernel's call site in error reports.
#define EMU_SITE const char* emu_file = __builtin_FILE(), int emu_line = __builtin_LINE()
#define EMU_AT emu_file, emu_line
inline void __syncwarp(unsigned mask = 0xffffffffu, EMU_SITE) { ::emu::warp_op(mask, ::emu::Sync, 0, 0, 32, EMU_AT); }

// Warp collectives. `mask` lanes must all arrive (lanes past the end of a partial last warp don't exist and are
// dropped from it); a lane of the mask that has exited, or different masks, is reported as a deadlock.
#define EMU_SHFL(name, kind)                                                                                      \
    template <class T> inline T name(unsigned mask, T var, int arg, int width = 32, EMU_SITE)                     \
    { return ::emu::from_bits<T>(::emu::warp_op(mask, ::emu::kind, ::emu::to_bits(var), arg, width, EMU_AT)); }
EMU_SHFL(__shfl_sync, ShflIdx)
EMU_SHFL(__shfl_up_sync, ShflUp)
EMU_SHFL(__shfl_down_sync, ShflDown)
EMU_SHFL(__shfl_xor_sync, ShflXor)
#undef EMU_SHFL
inline unsigned __ballot_sync(unsigned mask, int pred, EMU_SITE) { return (unsigned)::emu::warp_op(mask, ::emu::Ballot, pred != 0, 0, 32, EMU_AT); }
inline int __any_sync(unsigned mask, int pred, EMU_SITE) { return (int)::emu::warp_op(mask, ::emu::Any, pred != 0, 0, 32, EMU_AT); }
inline int __all_sync(unsigned mask, int pred, EMU_SITE) { return (int)::emu::warp_op(mask, ::emu::All, pred != 0, 0, 32, EMU_AT); }
inline unsigned __activemask() { return ::emu::activemask(); }
inline unsigned __reduce_add_sync(unsigned mask, unsigned v, EMU_SITE) { return (unsigned)::emu::warp_op(mask, ::emu::ReduceAdd, v, 0, 32, EMU_AT); }
inline int __reduce_add_sync(unsigned mask, int v, EMU_SITE) { return (int)::emu::warp_op(mask, ::emu::ReduceAdd, (unsigned)v, 0, 32, EMU_AT); }
inline unsigned __reduce_min_sync(unsigned mask, unsigned v, EMU_SITE) { return (unsigned)::emu::warp_op(mask, ::emu::ReduceMinU, v, 0, 32, EMU_AT); }
inline int __reduce_min_sync(unsigned mask, int v, EMU_SITE) { return (int)::emu::warp_op(mask, ::emu::ReduceMinS, (unsigned)v, 0, 32, EMU_AT); }
inline unsigned __reduce_max_sync(unsigned mask, unsigned v, EMU_SITE) { return (unsigned)::emu::warp_op(mask, ::emu::ReduceMaxU, v, 0, 32, EMU_AT); }
inline int __reduce_max_sync(unsigned mask, int v, EMU_SITE) { return (int)::emu::warp_op(mask, ::emu::ReduceMaxS, (unsigned)v, 0, 32, EMU_AT); }
template <class T> inline unsigned __match_any_sync(unsigned mask, T v, EMU_SITE) { return (unsigned)::emu::warp_op(mask, ::emu::MatchAny, ::emu::to_bits(v), 0, 32, EMU_AT); }

// ---- bit casts and integer intrinsics -----------------------------------------------------------------
inline unsigned int __float_as_uint(float f) { unsigned int u; std::memcpy(&u, &f, 4); return u; }
inline int __float_as_int(float f) { int u; std::memcpy(&u, &f, 4); return u; }
inline float __uint_as_float(unsigned int u) { float f; std::memcpy(&f, &u, 4); return f; }
inline float __int_as_float(int u) { float f; std::memcpy(&f, &u, 4); return f; }
inline long long __double_as_longlong(double d) { long long u; std::memcpy(&u, &d, 8); return u; }
inline double __longlong_as_double(long long u) { double d; std::memcpy(&d, &u, 8); return d; }
inline unsigned int __umulhi(unsigned int a, unsigned int b) { return (unsigned int)(((unsigned long long)a * b) >> 32); }
inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) { return (unsigned long long)(((unsigned __int128)a * b) >> 64); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned int __brev(unsigned int x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    return __builtin_bswap32(x);
}
inline unsigned int __byte_perm(unsigned int x, unsigned int y, unsigned int s)
{
    unsigned long long v = ((unsigned long long)y << 32) | x;
    unsigned int r = 0;
    for (int i = 0; i < 4; i++) r |= (unsigned int)((v >> (8 * ((s >> (4 * i)) & 7))) & 0xff) << (8 * i);
    return r;
}
template <class T> inline T __ldg(const T* p) { return *p; }
template <class T> inline T __ldcs(const T* p) { return *p; }
template <class T> inline void __stcs(T* p, T v) { *p = v; }

// CUDA's global min/max overloads (ints, floats and mixed): one template with the usual conversions.
template <class A, class B> inline typename std::common_type<A, B>::type min(A a, B b)
{
    typedef typename std::common_type<A, B>::type C;
    if constexpr (std::is_floating_point<C>::value) return std::fmin((C)a, (C)b);
    else return (C)b < (C)a ? (C)b : (C)a;
}
template <class A, class B> inline typename std::common_type<A, B>::type max(A a, B b)
{
    typedef typename std::common_type<A, B>::type C;
    if constexpr (std::is_floating_point<C>::value) return std::fmax((C)a, (C)b);
    else return (C)a < (C)b ? (C)b : (C)a;
}

// ---- float intrinsics (IEEE-exact stand-ins: the emulator proves logic, not the GPU's ulp error) ---------
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __expf(float x) { return expf(x); }
inline float __exp10f(float x) { return exp10f(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __log10f(float x) { return log10f(x); }
inline float __powf(float a, float b) { return powf(a, b); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline void __sincosf(float x, float* s, float* c) { *s = sinf(x); *c = cosf(x); }
inline float __exp2f(float x) { return exp2f(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __frsqrt_rn(float x) { return 1.0f / sqrtf(x); }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __saturatef(float x) { return x != x ? 0.0f : x < 0.0f ? 0.0f : x > 1.0f ? 1.0f : x; }
inline float saturatef(float x) { return __saturatef(x); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline int __float2int_rn(float x) { return (int)nearbyintf(x); }
inline int __float2int_rz(float x) { return (int)x; }
inline int __float2int_rd(float x) { return (int)floorf(x); }
inline int __float2int_ru(float x) { return (int)ceilf(x); }
inline unsigned int __float2uint_rn(float x) { return (unsigned int)nearbyintf(x); }
inline unsigned int __float2uint_rz(float x) { return (unsigned int)x; }
inline long long __float2ll_rn(float x) { return (long long)nearbyintf(x); }
inline long long __float2ll_rz(float x) { return (long long)x; }
inline float __int2float_rn(int x) { return (float)x; }
inline float __uint2float_rn(unsigned int x) { return (float)x; }
inline float __ll2float_rn(long long x) { return (float)x; }
inline float __double2float_rn(double x) { return (float)x; }
inline long long clock64() { return (long long)__builtin_ia32_rdtsc(); }

// ---- atomics: plain read-modify-write (fibers are cooperative: no switch can happen inside one) -----------
template <class T, class U> inline T atomicAdd(T* p, U v) { T o = *p; *p = (T)(o + (T)v); return o; }
template <class T, class U> inline T atomicSub(T* p, U v) { T o = *p; *p = (T)(o - (T)v); return o; }
template <class T, class U> inline T atomicExch(T* p, U v) { T o = *p; *p = (T)v; return o; }
template <class T, class U> inline T atomicMax(T* p, U v) { T o = *p; *p = (T)v > o ? (T)v : o; return o; }
template <class T, class U> inline T atomicMin(T* p, U v) { T o = *p; *p = (T)v < o ? (T)v : o; return o; }
template <class T, class U> inline T atomicAnd(T* p, U v) { T o = *p; *p = o & (T)v; return o; }
template <class T, class U> inline T atomicOr(T* p, U v) { T o = *p; *p = o | (T)v; return o; }
template <class T, class U> inline T atomicXor(T* p, U v) { T o = *p; *p = o ^ (T)v; return o; }
template <class T, class U, class W> inline T atomicCAS(T* p, U cmp, W v) { T o = *p; if (o == (T)cmp) *p = (T)v; return o; }
inline unsigned atomicInc(unsigned* p, unsigned v) { unsigned o = *p; *p = o >= v ? 0 : o + 1; return o; }
inline unsigned atomicDec(unsigned* p, unsigned v) { unsigned o = *p; *p = (o == 0 || o > v) ? v : o - 1; return o; }
