// What kernel code (through emu_runtime.h) and the emulator core share: the launch geometry of the running
// fiber and the scheduler's entry points for barriers and warp collectives. Implemented in emu_fiber.cpp.
#pragma once

#include <cstring>
#include <type_traits>

struct uint3 { unsigned int x, y, z; };
struct dim3
{
    unsigned int x, y, z;
    constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace emu
{
struct ThreadCtx { uint3 tid; };           // first member of every fiber
extern ThreadCtx* g_cur;                   // the fiber now running (one launch at a time, see emu_fiber.cpp)
extern uint3 g_block_idx, g_block_dim, g_grid_dim;

enum WarpKind : int { ShflIdx, ShflUp, ShflDown, ShflXor, Ballot, Any, All, Sync, ReduceAdd, ReduceMinS, ReduceMaxS, ReduceMinU, ReduceMaxU, MatchAny };

void syncthreads(const char* file, int line);
// __syncthreads_count/and/or: a barrier that also returns how many live threads passed a nonzero predicate.
int syncthreads_count(int pred, const char* file, int line);
unsigned long long warp_op(unsigned mask, int kind, unsigned long long payload, int arg, int width, const char* file, int line);
unsigned activemask();
void* dynamic_shared();
[[noreturn]] void trap(const char* what, const char* file, int line);

template <class T> inline unsigned long long to_bits(T v)
{
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "warp collective on a type wider than 8 bytes");
    unsigned long long b = 0;
    std::memcpy(&b, &v, sizeof(T));
    return b;
}
template <class T> inline T from_bits(unsigned long long b) { T v; std::memcpy(&v, &b, sizeof(T)); return v; }
}
