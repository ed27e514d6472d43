// Rotary position embedding: twin of src/Runtime/Cpu/Rope (CpuRope).
#include "common.cuh"

// HF rotate_half RoPE on x [B, H, T, D] (strides xb, xh, xt; unit stride in D), tables [T, R] or [B, T, R] (batched = 1),
// first R dims rotated, the rest copied. Output contiguous. transpose = 1 applies the transposed map (backward).
extern "C" __global__ void __launch_bounds__(ENGINE_BLOCK) rope_f32(const float* x, const float* cos_t, const float* sin_t, float* y, int bn, int hn, int tn, int d, int r,
    long long xb, long long xh, long long xt, int batched, int transpose)
{
    GRID_STRIDE(i, (long long)bn * hn * tn * d)
    {
        int c = (int)(i % d); long long row = i / d;
        int t = (int)(row % tn); long long bh = row / tn;
        int h = (int)(bh % hn), b = (int)(bh / hn);
        const float* xr = x + b * xb + h * xh + t * xt;
        if (c >= r) { y[i] = xr[c]; continue; }
        long long tab = ((long long)(batched ? b : 0) * tn + t) * r;
        int half = r / 2;
        int partner = c < half ? c + half : c - half;
        // forward: y_c = x_c cos_c + (c < half ? -x_{c+half} : x_{c-half}) sin_c
        // transposed: y_c = x_c cos_c + (c < half ? x_{c+half} sin_{c+half} : -x_{c-half} sin_{c-half})
        float v = xr[c] * cos_t[tab + c];
        if (!transpose) v += (c < half ? -xr[partner] : xr[partner]) * sin_t[tab + c];
        else v += (c < half ? xr[partner] : -xr[partner]) * sin_t[tab + partner];
        y[i] = v;
    }
}
