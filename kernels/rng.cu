// Random numbers: the Philox4x32-10 stream on the device, twin of Philox.Fill (src/Runtime/Random/Philox.cs) behind
// src/Runtime/Cpu/Rng. Every random kernel (dropout, hard-concrete noise, sampling) draws from common.cuh's
// philox_word/philox4; this one exposes the raw words.
#include "common.cuh"

// y[i] = word i of the stream (seed, offset).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) philox_words(u64 seed, u64 offset, u32* y, long long n) { GRID_STRIDE(i, n) y[i] = philox_word(seed, offset, (u64)i); }
