// Embedding gather and its deterministic gradient: twins of src/Runtime/Cpu/Embedding (CpuEmbedding).
// Ids are I64 (I32 ids are widened first). An id outside [0, V) is never dereferenced: the gather writes NaN for its row
// and records the lowest such position in *bad (set to ~0 by the host), which the host reports as an error.
#include "common.cuh"

// y[r, :] = weight[ids[r], :].
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) embedding_fwd_f32(const float* weight, const long long* ids, float* y, long long rows, int dim, long long vocab, u64* bad)
{
    GRID_STRIDE(i, rows * dim)
    {
        long long r = i / dim, id = ids[r];
        if (id < 0 || id >= vocab) { y[i] = ENGINE_NAN; if (i % dim == 0) atomicMin(bad, (u64)r); continue; }
        y[i] = weight[id * dim + i % dim];
    }
}

// dW[ids[r], c] += gy[r, c]: each thread owns one column c and walks the rows in order, so sums are deterministic.
// dW must be zeroed first. Out-of-range ids (already reported by the forward) are skipped.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) embedding_bwd_f32(const float* gy, const long long* ids, float* dw, long long rows, int dim, long long vocab)
{
    GRID_STRIDE(c, dim)
        for (long long r = 0; r < rows; r++)
        {
            long long id = ids[r];
            if (id >= 0 && id < vocab) dw[id * dim + c] += gy[r * dim + c];
        }
}
