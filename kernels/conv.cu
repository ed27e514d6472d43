// Conv1d (torch.nn.Conv1d, groups = 1): twins of src/Runtime/Cpu/Conv (CpuConv1d). The convolution is unfold + GEMM:
// these kernels unfold x into col [B, Lout, Cin·K], fold dcol back into dx (a gather: no atomics, deterministic),
// move [B, R, C] ↔ [B, C, R] (adding the bias on the way out) and sum dy for the bias gradient; CudaBackend runs the
// GEMMs with cuBLAS. Geometry: output t, tap k reads input l = t·stride − pad + k·dil (zero outside [0, L)).
#include "common.cuh"

// col[b, t, ci·K + k] = x[b, ci, t·s − p + k·d] or 0.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) conv1d_unfold_f32(const float* x, float* col, int B, int Cin, int L, int K, int Lout, int stride, int pad, int dil)
{
    long long taps = (long long)Cin * K;
    GRID_STRIDE(i, (long long)B * Lout * taps)
    {
        int j = (int)(i % taps);
        long long bt = i / taps;
        int t = (int)(bt % Lout), b = (int)(bt / Lout);
        int ci = j / K, k = j % K;
        int l = t * stride - pad + k * dil;
        col[i] = (l >= 0 && l < L) ? x[((long long)b * Cin + ci) * L + l] : 0.0f;
    }
}

// dx[b, ci, l] = Σ over taps k with (l + p − k·d) = t·s, 0 ≤ t < Lout, of dcol[b, t, ci·K + k], summed in k order (as the CPU).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) conv1d_fold_f32(const float* dcol, float* dx, int B, int Cin, int L, int K, int Lout, int stride, int pad, int dil)
{
    long long taps = (long long)Cin * K;
    GRID_STRIDE(i, (long long)B * Cin * L)
    {
        int l = (int)(i % L);
        long long bc = i / L;
        int ci = (int)(bc % Cin), b = (int)(bc / Cin);
        const float* src = dcol + (long long)b * Lout * taps;
        float acc = 0.0f;
        for (int k = 0; k < K; k++)
        {
            int num = l + pad - k * dil;
            if (num < 0 || num % stride != 0) continue;
            int t = num / stride;
            if (t < Lout) acc += src[(long long)t * taps + ci * K + k];
        }
        dx[i] = acc;
    }
}

// dst[b, c, r] = src[b, r, c] (+ bias[c] when has_bias): the GEMM's [B, Lout, Cout] to the [B, Cout, Lout] output, and dy back.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) conv1d_transpose_f32(const float* src, const float* bias, float* dst, int B, int R, int C, int has_bias)
{
    GRID_STRIDE(i, (long long)B * R * C)
    {
        int r = (int)(i % R);
        long long bc = i / R;
        int c = (int)(bc % C), b = (int)(bc / C);
        float v = src[((long long)b * R + r) * C + c];
        dst[i] = has_bias ? v + bias[c] : v;
    }
}

// db[co] = Σ_b Σ_t dy[b, co, t]: one block per output channel.
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) conv1d_bias_grad_f32(const float* gy, float* gb, int B, int Cout, int Lout)
{
    __shared__ float buf[32];
    int co = blockIdx.x;
    float acc = 0.0f;
    for (long long i = threadIdx.x; i < (long long)B * Lout; i += blockDim.x)
    {
        int b = (int)(i / Lout), t = (int)(i % Lout);
        acc += gy[((long long)b * Cout + co) * Lout + t];
    }
    acc = block_sum(acc, buf);
    if (threadIdx.x == 0) gb[co] = acc;
}
