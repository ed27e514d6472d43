// Token sampling on the device: the twin of src/Runtime/Cpu/Sampling/CpuSampling.cs (IBackend.SampleTokens).
// One block per row, blockDim.x a power of two in [32, 1024]. No sort: the CPU's candidate order (logit
// descending, ties by lower id) is a total order on (key, id), where key is the order-preserving bit pattern of
// the logit; every filter keeps a prefix of that order, found by a threshold search over the 32-bit key, 4 bits
// per pass (counts for top-k, probability mass for top-p and for the draw), and inside the tied key by the n-th
// lowest id. Probabilities are computed in double with the CPU's expressions, so the chosen token is the CPU's
// unless the uniform (or top_p) lands within double rounding (~1e-15 relative) of a cumulative-mass boundary:
// the CPU sums in sorted order, the kernel in a fixed block order. Every reduction has a fixed order
// (deterministic run to run); no atomics.
#include "common.cuh"

#define SMP_MAX_THREADS 1024

// Unsigned order of the key = float order of the logit; −0 is +0 so equal logits tie (CpuSampling.OrderKey).
__device__ __forceinline__ u32 smp_key(float l)
{
    u32 b = l == 0.0f ? 0u : __float_as_uint(l);
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__device__ __forceinline__ float smp_key_float(u32 k) { return __uint_as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k); }

__device__ __forceinline__ bool smp_key_nan(u32 k) { return k > 0xff800000u || k < 0x007fffffu; }

// A prefix of the candidate order, named by its last element: (key, id) with all larger keys and, at that key,
// the ids ≤ idx.
struct SmpBound { u32 key; int idx; };

__device__ __forceinline__ bool smp_in(u32 k, int i, SmpBound b) { return k > b.key || (k == b.key && i <= b.idx); }

#define SMP_NC 15   // threshold candidates per search pass: 4 key bits

// Fixed-order sums across the block (xor butterflies, then warp 0 over the warp totals); every thread gets
// the NV totals in v. blockDim.x is a multiple of 32. red: __shared__ double[NV·32], res: __shared__ double[NV].
// Counts are summed as doubles too (exact below 2⁵³).
__device__ __forceinline__ double smp_warp_sum(double v)
{
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = v + __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

template <int NV>
__device__ void smp_block_sum(double* v, double* red, double* res)
{
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    #pragma unroll
    for (int j = 0; j < NV; j++) { double s = smp_warp_sum(v[j]); if (lane == 0) red[j * 32 + w] = s; }
    __syncthreads();
    if (w == 0)
    {
        #pragma unroll
        for (int j = 0; j < NV; j++) { double s = smp_warp_sum(lane < nw ? red[j * 32 + lane] : 0.0); if (lane == 0) res[j] = s; }
    }
    __syncthreads();
    #pragma unroll
    for (int j = 0; j < NV; j++) v[j] = res[j];
}

__device__ __forceinline__ double smp_sum1(double v, double* red, double* res)
{
    smp_block_sum<1>(&v, red, res);
    return v;
}

// max (is_max) or min of 64-bit values across the block. buf: __shared__ u64[33].
__device__ u64 smp_ext_u64(u64 v, u64* buf, bool is_max)
{
    int lane = threadIdx.x & 31, w = threadIdx.x >> 5, nw = blockDim.x >> 5;
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) { u64 x = __shfl_xor_sync(0xffffffffu, v, o); if (is_max ? x > v : x < v) v = x; }
    if (lane == 0) buf[w] = v;
    __syncthreads();
    if (w == 0)
    {
        v = lane < nw ? buf[lane] : buf[0];
        #pragma unroll
        for (int o = 16; o > 0; o >>= 1) { u64 x = __shfl_xor_sync(0xffffffffu, v, o); if (is_max ? x > v : x < v) v = x; }
        if (lane == 0) buf[32] = v;
    }
    __syncthreads();
    return buf[32];
}

// Inclusive prefix sum across the block (Hillis–Steele). buf: __shared__ int[blockDim.x].
__device__ int smp_scan_i(int v, int* buf)
{
    int t = threadIdx.x;
    buf[t] = v;
    __syncthreads();
    for (int off = 1; off < (int)blockDim.x; off <<= 1)
    {
        int a = t >= off ? buf[t - off] : 0;
        __syncthreads();
        buf[t] += a;
        __syncthreads();
    }
    int r = buf[t];
    __syncthreads();
    return r;
}

// Number of ids i ≤ lim with key == t (or key > t when gt).
__device__ int smp_count(const u32* keys, int lim, u32 t, bool gt, double* red, double* res)
{
    int c = 0;
    for (int i = threadIdx.x; i <= lim; i += blockDim.x) { u32 k = keys[i]; c += gt ? (k > t) : (k == t); }
    return (int)smp_sum1((double)c, red, res);
}

// Probability mass of the members of prefix b with p ≥ thr and key ≥ t (key > t when gt).
__device__ double smp_mass(const u32* keys, const double* p, int n, u32 t, bool gt, SmpBound b, double thr, double* red, double* res)
{
    double acc = 0.0;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        u32 k = keys[i];
        if ((gt ? k > t : k >= t) && smp_in(k, i, b))
        {
            double q = p[i];
            if (q >= thr) acc = acc + q;
        }
    }
    return smp_sum1(acc, red, res);
}

// Largest t with f(t) ≥ target (> target when strict), where f(t) sums, over the members of prefix b with key ≥ t,
// p[i] when p[i] ≥ thr (p == null: counts 1 each). f is non-increasing in t. Each pass fixes 4 bits of t: every
// thread sorts its elements into the 16 buckets of the next nibble (one add per element), and suffix sums of the
// block totals give f at the 15 candidates. The result is then moved up to the smallest key ≥ t that carries
// weight, so the caller's group at t is never empty (rounding could otherwise strand t between keys).
__device__ u32 smp_search(const u32* keys, const double* p, int n, SmpBound b, double thr, double target, bool strict,
                          double* red, double* res, u64* ubuf)
{
    u32 t = 0;
    for (int shift = 28; shift >= 0; shift -= 4)
    {
        const u32 base = t >> shift; // low 4 bits zero, so base + 15 does not overflow
        double a[SMP_NC];             // a[j]: weight with next nibble j + 1; a[SMP_NC - 1] also takes everything above
        #pragma unroll
        for (int j = 0; j < SMP_NC; j++) a[j] = 0.0;
        for (int i = threadIdx.x; i < n; i += blockDim.x)
        {
            u32 k = keys[i];
            u32 hi = k >> shift;
            if (hi <= base || !smp_in(k, i, b)) continue;
            double q = 1.0;
            if (p != 0) { q = p[i]; if (!(q >= thr)) continue; }
            u32 d = hi - base > (u32)SMP_NC ? (u32)SMP_NC : hi - base;
            #pragma unroll
            for (int j = 0; j < SMP_NC; j++) if (d == (u32)(j + 1)) a[j] = a[j] + q;
        }
        smp_block_sum<SMP_NC>(a, red, res);
        for (int j = SMP_NC - 2; j >= 0; j--) a[j] = a[j] + a[j + 1];
        u32 pick = 0;
        #pragma unroll
        for (int j = 0; j < SMP_NC; j++) if (strict ? a[j] > target : a[j] >= target) pick = (u32)(j + 1);
        t |= pick << shift;
    }
    u64 lo = ~0ull;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
    {
        u32 k = keys[i];
        if (k < t || !smp_in(k, i, b)) continue;
        if (p != 0 && !(p[i] >= thr && p[i] > 0.0)) continue;
        if ((u64)k < lo) lo = k;
    }
    lo = smp_ext_u64(lo, ubuf, false);
    return lo == ~0ull ? t : (u32)lo;
}

// The id of the n-th (1-based) element, in ascending id, among ids ≤ lim with key == t. Each thread scans one
// contiguous chunk, so one block scan of the chunk counts orders them.
__device__ int smp_nth(const u32* keys, int lim, u32 t, int n, int* ibuf, int* res)
{
    int len = lim + 1, nt = blockDim.x;
    int chunk = (len + nt - 1) / nt;
    int s = threadIdx.x * chunk, e = min(s + chunk, len);
    int c = 0;
    for (int i = s; i < e; i++) c += keys[i] == t;
    int incl = smp_scan_i(c, ibuf);
    if (threadIdx.x == 0) *res = lim;
    __syncthreads();
    int before = incl - c;
    if (before < n && n <= incl)
    {
        int seen = before;
        for (int i = s; i < e; i++)
            if (keys[i] == t && ++seen == n) { *res = i; break; }
    }
    __syncthreads();
    int r = *res;
    __syncthreads();
    return r;
}

// logits [B, V] f32; keys [B, V] u32 and p [B, V] f64 are scratch; prev [B, prev_len] i64 (−1 = padding) or null.
// Row r draws Philox word (seed, offset + r·2²⁴, 0). Writes ids [B] i64 and log softmax(logits)[id] [B] f64.
// Launch bounds: a 1024-thread block must fit in 64 registers per thread (the 15 search accumulators spill before
// a launch could fail for lack of registers).
extern "C" __global__ void __launch_bounds__(SMP_MAX_THREADS) sample_tokens_f32(const float* logits, u32* keys_all, double* p_all, const long long* prev, int prev_len, int n,
                                             double temperature, int top_k, double top_p, double min_p, double penalty,
                                             u64 seed, u64 offset, long long* out_ids, double* out_logp)
{
    __shared__ double red[SMP_NC * 32];
    __shared__ double res[SMP_NC];
    __shared__ int ibuf[SMP_MAX_THREADS];
    __shared__ u64 ubuf[33];
    __shared__ int s_res;
    __shared__ int s_n;
    const int row = blockIdx.x, tid = threadIdx.x, nt = blockDim.x;
    const float* x = logits + (long long)row * n;
    u32* keys = keys_all + (long long)row * n;

    // Repetition penalty on the keys, read from the original logits so a repeated id is penalised once.
    for (int i = tid; i < n; i += nt) keys[i] = smp_key(x[i]);
    __syncthreads();
    if (penalty != 1.0 && prev != 0)
    {
        for (int j = tid; j < prev_len; j += nt)
        {
            long long id = prev[(long long)row * prev_len + j];
            if (id < 0 || id >= n) continue;
            float l = x[id];
            float q = l > 0.0f ? (float)((double)l / penalty) : (float)((double)l * penalty);
            keys[id] = smp_key(q);
        }
        __syncthreads();
    }

    // First candidate: largest non-NaN key, lowest id (greedy's argmax).
    u64 best = 0;
    for (int i = tid; i < n; i += nt)
    {
        u32 k = keys[i];
        u64 c = smp_key_nan(k) ? 0ull : (((u64)k << 32) | (u64)(~(u32)i));
        if (c > best) best = c;
    }
    best = smp_ext_u64(best, ubuf, true);
    u32 kmax = (u32)(best >> 32);
    int chosen = (best == 0 || smp_key_nan(keys[0])) ? 0 : (int)(~(u32)best);

    if (temperature != 0.0)
    {
        double* p = p_all + (long long)row * n; // null when greedy: only touched here
        const double xmax = (double)smp_key_float(kmax) / temperature;
        SmpBound b1; b1.key = 0; b1.idx = n - 1;

        // Top-k: the k-th key t, then the (k − #{key > t})-th lowest id at key t.
        if (top_k > 0 && top_k < n)
        {
            u32 t = smp_search(keys, 0, n, b1, 0.0, (double)top_k, false, red, res, ubuf);
            int gt = smp_count(keys, n - 1, t, true, red, res);
            b1.key = t;
            b1.idx = smp_nth(keys, n - 1, t, top_k - gt, ibuf, &s_res);
        }

        // p = exp(x/T − max) / Σ over the top-k members, 0 elsewhere.
        double acc = 0.0;
        for (int i = tid; i < n; i += nt)
        {
            u32 k = keys[i];
            double e = 0.0;
            if (smp_in(k, i, b1)) { e = exp((double)smp_key_float(k) / temperature - xmax); acc = acc + e; }
            p[i] = e;
        }
        const double sum = smp_sum1(acc, red, res);
        for (int i = tid; i < n; i += nt) p[i] = p[i] / sum;
        __syncthreads();

        // Top-p: the smallest prefix whose mass reaches top_p (all of b1 when its mass falls short).
        SmpBound b2 = b1;
        if (top_p < 1.0 && smp_mass(keys, p, n, 0u, false, b1, 0.0, red, res) >= top_p)
        {
            u32 t = smp_search(keys, p, n, b1, 0.0, top_p, false, red, res, ubuf);
            double c = smp_mass(keys, p, n, t, true, b1, 0.0, red, res);
            int lim = t == b1.key ? b1.idx : n - 1;
            int group = smp_count(keys, lim, t, false, red, res);
            if (tid == 0)
            {
                double q = exp((double)smp_key_float(t) / temperature - xmax) / sum;
                int m = 0;
                while (m < group) { c = c + q; m++; if (c >= top_p) break; }
                s_n = m > 0 ? m : 1;
            }
            __syncthreads();
            int m = s_n;
            b2.key = t;
            b2.idx = smp_nth(keys, lim, t, m, ibuf, &s_res);
        }

        // Min-p keeps p ≥ min_p·p_max (p_max = 1/sum); 0 keeps everything.
        const double thr = min_p * (1.0 / sum);

        // Draw: the first candidate whose cumulative mass exceeds u.
        double total = smp_mass(keys, p, n, 0u, false, b2, thr, red, res);
        double u = (double)philox_uniform(philox_word(seed, offset + ((u64)row << 24), 0)) * total;
        if (total > u)
        {
            u32 t = smp_search(keys, p, n, b2, thr, u, true, red, res, ubuf);
            double c = smp_mass(keys, p, n, t, true, b2, thr, red, res);
            int lim = t == b2.key ? b2.idx : n - 1;
            int group = smp_count(keys, lim, t, false, red, res);
            if (tid == 0)
            {
                double q = exp((double)smp_key_float(t) / temperature - xmax) / sum;
                int m = 0;
                while (m < group) { c = c + q; m++; if (u < c) break; }
                s_n = m > 0 ? m : 1;
            }
            __syncthreads();
            int m = s_n;
            chosen = smp_nth(keys, lim, t, m, ibuf, &s_res);
        }
        else
        {
            // Only for rows without finite mass (all −inf, NaN): the CPU falls back to the last kept candidate.
            u64 last = ~0ull;
            for (int i = tid; i < n; i += nt)
            {
                u32 k = keys[i];
                if (smp_in(k, i, b2) && p[i] >= thr)
                {
                    u64 c = ((u64)k << 32) | (u64)(~(u32)i);
                    if (c < last) last = c;
                }
            }
            last = smp_ext_u64(last, ubuf, false);
            chosen = last == ~0ull ? b2.idx : (int)(~(u32)last);
        }
    }

    // log softmax of the unprocessed logits at the chosen id, as CpuSampling.LogProb (double).
    float lm = -ENGINE_INF;
    for (int i = tid; i < n; i += nt) lm = fmaxf(lm, x[i]);
    u64 lmk = smp_ext_u64((u64)smp_key(lm), ubuf, true);
    double mx = (double)smp_key_float((u32)lmk);
    double s = 0.0;
    for (int i = tid; i < n; i += nt) s = s + exp((double)x[i] - mx);
    s = smp_sum1(s, red, res);
    if (tid == 0)
    {
        out_ids[row] = chosen;
        out_logp[row] = (double)x[chosen] - mx - log(s);
    }
}
