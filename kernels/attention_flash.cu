// Flash-style tiled attention on bf16 tensor cores (mma.m16n8k16, f32 accumulation): forward with online softmax,
// and a deterministic FlashAttention-2 style backward (recompute P from the saved log-sum-exp, no atomics).
//
// Contract (the twin of the CPU's CpuAttentionForward/Backward): q [B, Hq, Tq, D], k/v [B, Hkv, Tk, D] with unit
// stride in D and any other strides (in elements); query head h reads kv head h / (Hq/Hkv); key_mask [B, Tk] I64 or
// null (nonzero = attend); causal: query i sees key j iff j ≤ i + (Tk − Tq). Rows with no visible key: o = 0, lse = +inf.
//
// Layout of the work: 128 threads = 4 warps per CTA. A warp owns 16 rows of the "A" side of every MMA (query rows in
// the forward and dQ, key rows in dK/dV); K/V (or Q/dO) tiles are staged in padded shared memory (row stride D+8
// halves, so the fragment reads of a warp hit 32 distinct banks) and fragments are read by explicit index (no
// ldmatrix), see mma.cuh. The f32 accumulator of S = Q·Kᵀ is re-packed in registers into the A fragment of P·V:
// n-tiles 2kk and 2kk+1 of the accumulator are exactly the four registers of A k-step kk.
#include "common.cuh"
#include "mma.cuh"

#define FA_THREADS 128
#define FA_BQ 64     // query rows per CTA (forward, dQ): 4 warps × 16
#define FA_BK 64     // keys per staged tile (forward) and per CTA (dK/dV): 4 warps × 16

// Two consecutive bf16 of row `row` (zeros past the last row), packed as an MMA register.
__device__ __forceinline__ u32 fa_pair(const bf16_t* base, int row, long long rs, int c, int rows)
{
    if (row >= rows) return 0u;
    const bf16_t* p = base + (long long)row * rs + c;
    return pack_bf16x2(p[0], p[1]);
}

// Eight consecutive bf16 from p as one 16-byte word (zeros when !valid); vec = the source is 16-byte aligned.
__device__ __forceinline__ u32x4 fa_load8(const bf16_t* p, bool valid, bool vec)
{
    u32x4 r = {0u, 0u, 0u, 0u};
    if (!valid) return r;
    if (vec) return ld_u32x4(p);
    r.x = pack_bf16x2(p[0], p[1]); r.y = pack_bf16x2(p[2], p[3]);
    r.z = pack_bf16x2(p[4], p[5]); r.w = pack_bf16x2(p[6], p[7]);
    return r;
}

// Rows r0 .. r0+ROWS−1 of a [rows, D] view (row stride rs) into shared dst[ROWS][D+8]; rows ≥ n become zeros
// (never garbage: a poisoned NaN times a zero probability would still be NaN).
template <int D, int ROWS>
__device__ __forceinline__ void fa_stage_rows(bf16_t* dst, const bf16_t* base, long long rs, int r0, int n, bool vec)
{
    for (int idx = threadIdx.x; idx < ROWS * (D / 8); idx += FA_THREADS)
    {
        int r = idx / (D / 8), c = (idx % (D / 8)) * 8, j = r0 + r;
        const bf16_t* src = j < n ? base + (long long)j * rs + c : base;
        st_u32x4(dst + r * (D + 8) + c, fa_load8(src, j < n, vec));
    }
}

// Rows r0 .. r0+ROWS−1 into "row pairs": dst[ROWS/2][D+8] of 32-bit words, word (p, c) = (row 2p, row 2p+1) of
// column c. The B operand of P·V (two consecutive keys of one column) is then one aligned 32-bit read, and with the
// D+8-word pair stride a warp's fragment reads hit 32 distinct banks. Rows ≥ n become zeros.
template <int D, int ROWS>
__device__ __forceinline__ void fa_stage_pairs(bf16_t* dst, const bf16_t* base, long long rs, int r0, int n, bool vec)
{
    for (int idx = threadIdx.x; idx < (ROWS / 2) * (D / 8); idx += FA_THREADS)
    {
        int p = idx / (D / 8), c = (idx % (D / 8)) * 8, j = r0 + 2 * p;
        u32x4 a = fa_load8(j < n ? base + (long long)j * rs + c : base, j < n, vec);
        u32x4 b = fa_load8(j + 1 < n ? base + (long long)(j + 1) * rs + c : base, j + 1 < n, vec);
        // element e of a row sits in word e/2, half e&1; interleave the two rows per column
        u32x4 lo = { (a.x & 0xffffu) | (b.x << 16), (a.x >> 16) | (b.x & 0xffff0000u), (a.y & 0xffffu) | (b.y << 16), (a.y >> 16) | (b.y & 0xffff0000u) };
        u32x4 hi = { (a.z & 0xffffu) | (b.z << 16), (a.z >> 16) | (b.z & 0xffff0000u), (a.w & 0xffffu) | (b.w << 16), (a.w >> 16) | (b.w & 0xffff0000u) };
        bf16_t* w = dst + 2 * (p * (D + 8) + c);
        st_u32x4(w, lo);
        st_u32x4(w + 8, hi);
    }
}

// 1 where key j0 + r exists and is not padded out, else 0.
__device__ __forceinline__ void fa_stage_keys(float* ok, const long long* key_mask, int b, int j0, int n, int tk)
{
    for (int r = threadIdx.x; r < n; r += FA_THREADS)
    {
        int j = j0 + r;
        ok[r] = j < tk && (!key_mask || key_mask[(long long)b * tk + j] != 0) ? 1.0f : 0.0f;
    }
}

__device__ __forceinline__ float fa_quad_max(float x)
{
    x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
    return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}

__device__ __forceinline__ float fa_quad_sum(float x)
{
    x += __shfl_xor_sync(0xffffffffu, x, 1);
    return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

// ---------------------------------------------------------------------------------------------------------------
// Forward. CTA = (64-query tile, query head, batch). Q stays in registers as A fragments for the whole key loop;
// per 64-key tile: K staged row-major ks[64][D+8] (B operand of Q·Kᵀ), V staged as row pairs (see fa_stage_pairs;
// B operand of P·V), both with 16-byte coalesced loads.
// Causal: tiles past the CTA's last visible key are skipped.
// ---------------------------------------------------------------------------------------------------------------
template <int D>
__device__ __forceinline__ void fa_fwd(const bf16_t* q, const bf16_t* k, const bf16_t* v, const long long* key_mask, bf16_t* o, float* lse,
    int tq, int tk, int hq, int hkv, long long qb, long long qh, long long qt, long long kb, long long kh, long long kt,
    long long vb, long long vh, long long vt, int causal, float scale, int vec, bf16_t* ks, bf16_t* vs, float* kok)
{
    const int KS = D + 8;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
    int q0 = blockIdx.x * FA_BQ, h = blockIdx.y, b = blockIdx.z, hk = h / (hq / hkv), off = tk - tq;
    int r0 = q0 + warp * 16 + g, r1 = r0 + 8; // the two query rows whose accumulators this lane holds
    const bf16_t* qhead = q + b * qb + h * qh;
    const bf16_t* khead = k + b * kb + hk * kh;
    const bf16_t* vhead = v + b * vb + hk * vh;

    u32 qa[D / 16][4];
    #pragma unroll
    for (int s = 0; s < D / 16; s++)
    {
        int c = s * 16 + 2 * t;
        qa[s][0] = fa_pair(qhead, r0, qt, c, tq);
        qa[s][1] = fa_pair(qhead, r1, qt, c, tq);
        qa[s][2] = fa_pair(qhead, r0, qt, c + 8, tq);
        qa[s][3] = fa_pair(qhead, r1, qt, c + 8, tq);
    }
    float acc[D / 8][4];
    #pragma unroll
    for (int n = 0; n < D / 8; n++) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.0f;
    float m0 = -ENGINE_INF, m1 = -ENGINE_INF, l0 = 0.0f, l1 = 0.0f;

    int last = tk - 1;
    if (causal) last = min(last, q0 + FA_BQ - 1 + off);
    for (int j0 = 0; j0 <= last; j0 += FA_BK)
    {
        __syncthreads(); // the previous tile's readers are done
        fa_stage_rows<D, FA_BK>(ks, khead, kt, j0, tk, (vec & 2) != 0);
        fa_stage_pairs<D, FA_BK>(vs, vhead, vt, j0, tk, (vec & 4) != 0);
        fa_stage_keys(kok, key_mask, b, j0, FA_BK, tk);
        __syncthreads();

        // S = Q·Kᵀ for this warp's 16 rows × 64 keys: 8 n-tiles of 8 keys.
        float s[FA_BK / 8][4];
        #pragma unroll
        for (int n = 0; n < FA_BK / 8; n++)
        {
            s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.0f;
            #pragma unroll
            for (int d = 0; d < D / 16; d++)
            {
                const bf16_t* kr = ks + (n * 8 + g) * KS + d * 16 + 2 * t;
                u32 bk[2] = { ld_u32(kr), ld_u32(kr + 8) };
                mma_m16n8k16_bf16(s[n], qa[d], bk, s[n]);
            }
        }
        // Scale and mask; element e of n-tile n is row (e < 2 ? r0 : r1), key j0 + 8n + 2t + (e & 1).
        float mx0 = -ENGINE_INF, mx1 = -ENGINE_INF;
        #pragma unroll
        for (int n = 0; n < FA_BK / 8; n++)
            #pragma unroll
            for (int e = 0; e < 4; e++)
            {
                int kl = n * 8 + 2 * t + (e & 1), row = e < 2 ? r0 : r1;
                bool vis = kok[kl] != 0.0f && (!causal || j0 + kl <= row + off);
                float x = vis ? s[n][e] * scale : -ENGINE_INF;
                s[n][e] = x;
                if (e < 2) mx0 = fmaxf(mx0, x); else mx1 = fmaxf(mx1, x);
            }
        mx0 = fa_quad_max(mx0); mx1 = fa_quad_max(mx1);
        float mn0 = fmaxf(m0, mx0), mn1 = fmaxf(m1, mx1);
        float base0 = mn0 == -ENGINE_INF ? 0.0f : mn0, base1 = mn1 == -ENGINE_INF ? 0.0f : mn1; // no visible key yet: p = 0
        float al0 = expf(m0 - base0), al1 = expf(m1 - base1);
        m0 = mn0; m1 = mn1;

        // P in f32 for the row sums, packed to bf16 A fragments for P·V.
        u32 pa[FA_BK / 16][4];
        float ps0 = 0.0f, ps1 = 0.0f;
        #pragma unroll
        for (int n = 0; n < FA_BK / 8; n++)
        {
            float p0 = expf(s[n][0] - base0), p1 = expf(s[n][1] - base0);
            float p2 = expf(s[n][2] - base1), p3 = expf(s[n][3] - base1);
            ps0 += p0 + p1; ps1 += p2 + p3;
            pa[n >> 1][(n & 1) * 2] = pack_f32_bf16x2(p0, p1);
            pa[n >> 1][(n & 1) * 2 + 1] = pack_f32_bf16x2(p2, p3);
        }
        l0 = l0 * al0 + ps0; l1 = l1 * al1 + ps1;
        #pragma unroll
        for (int n = 0; n < D / 8; n++) { acc[n][0] *= al0; acc[n][1] *= al0; acc[n][2] *= al1; acc[n][3] *= al1; }

        // O += P·V: B[k = key][n = dim]; register 0 = keys 16kk+2t, +1 of column 8n+g = word (pair 8kk+t, column),
        // register 1 = the pair 4 further (keys + 8).
        #pragma unroll
        for (int n = 0; n < D / 8; n++)
            #pragma unroll
            for (int kk = 0; kk < FA_BK / 16; kk++)
            {
                const bf16_t* vr = vs + 2 * ((kk * 8 + t) * (D + 8) + n * 8 + g);
                u32 bv[2] = { ld_u32(vr), ld_u32(vr + 8 * (D + 8)) };
                mma_m16n8k16_bf16(acc[n], pa[kk], bv, acc[n]);
            }
    }

    l0 = fa_quad_sum(l0); l1 = fa_quad_sum(l1);
    float inv0 = l0 > 0.0f ? 1.0f / l0 : 0.0f, inv1 = l1 > 0.0f ? 1.0f / l1 : 0.0f;
    long long row0 = ((long long)b * hq + h) * tq + r0, row1 = row0 + 8;
    #pragma unroll
    for (int n = 0; n < D / 8; n++)
    {
        int c = n * 8 + 2 * t;
        if (r0 < tq) st_u32(o + row0 * D + c, pack_f32_bf16x2(acc[n][0] * inv0, acc[n][1] * inv0));
        if (r1 < tq) st_u32(o + row1 * D + c, pack_f32_bf16x2(acc[n][2] * inv1, acc[n][3] * inv1));
    }
    if (t == 0)
    {
        if (r0 < tq) lse[row0] = l0 > 0.0f ? m0 + logf(l0) : ENGINE_INF;
        if (r1 < tq) lse[row1] = l1 > 0.0f ? m1 + logf(l1) : ENGINE_INF;
    }
}

#define FA_FWD_ARGS const bf16_t* q, const bf16_t* k, const bf16_t* v, const long long* key_mask, bf16_t* o, float* lse, \
    int tq, int tk, int hq, int hkv, long long qb, long long qh, long long qt, long long kb, long long kh, long long kt, \
    long long vb, long long vh, long long vt, int causal, float scale, int vec
#define FA_FWD_PASS q, k, v, key_mask, o, lse, tq, tk, hq, hkv, qb, qh, qt, kb, kh, kt, vb, vh, vt, causal, scale, vec

// grid (⌈Tq/64⌉, Hq, B), 128 threads. vec bits: 2 = k rows 16-byte aligned, 4 = v rows 16-byte aligned.
extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_fwd_bf16_d64(FA_FWD_ARGS)
{
    __shared__ __align__(16) bf16_t ks[FA_BK * (64 + 8)];
    __shared__ __align__(16) bf16_t vs[FA_BK * (64 + 8)];
    __shared__ float kok[FA_BK];
    fa_fwd<64>(FA_FWD_PASS, ks, vs, kok);
}

extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_fwd_bf16_d128(FA_FWD_ARGS)
{
    __shared__ __align__(16) bf16_t ks[FA_BK * (128 + 8)];
    __shared__ __align__(16) bf16_t vs[FA_BK * (128 + 8)];
    __shared__ float kok[FA_BK];
    fa_fwd<128>(FA_FWD_PASS, ks, vs, kok);
}

// ---------------------------------------------------------------------------------------------------------------
// Backward, step 1: δ_i = dO_i · O_i in f32, one warp per row. o contiguous [B, Hq, Tq, D]; dO strided (unit in D).
// ---------------------------------------------------------------------------------------------------------------
extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_bwd_delta_bf16(const bf16_t* o, const bf16_t* dO, float* delta, int tq, int hq, int d,
    long long db, long long dh, long long dt, long long rows)
{
    long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (row >= rows) return; // uniform per warp
    int lane = threadIdx.x & 31, i = (int)(row % tq), h = (int)((row / tq) % hq);
    long long b = row / tq / hq;
    const bf16_t* dr = dO + b * db + h * dh + (long long)i * dt;
    const bf16_t* orow = o + row * d;
    float s = 0.0f;
    for (int c = lane; c < d; c += 32) s += bf16_to_f32(orow[c]) * bf16_to_f32(dr[c]);
    s = warp_sum(s);
    if (lane == 0) delta[row] = s;
}

// ---------------------------------------------------------------------------------------------------------------
// Backward, step 2: dK, dV. CTA = (64-key tile, kv head, batch); each warp owns 16 keys and accumulates their dK, dV
// rows in registers over every query head of the GQA group and every query tile that can see them (in a fixed
// order: deterministic, no atomics). Per BQB-query tile, in the transposed ("key-major") form:
//   Sᵀ = K·Qᵀ, Pᵀ = exp(scale·Sᵀ − lse), dPᵀ = V·dOᵀ, dSᵀ = Pᵀ ∘ (dPᵀ − δ), dV += Pᵀ·dO, dK += dSᵀ·Q (× scale at the end).
// K, V tiles stay in shared memory for the whole CTA; Q and dO tiles are staged per step.
// ---------------------------------------------------------------------------------------------------------------
template <int D, int BQB>
__device__ __forceinline__ void fa_bwd_dkdv(const bf16_t* q, const bf16_t* k, const bf16_t* v, const bf16_t* dO, const float* lse, const float* delta,
    const long long* key_mask, float* dk, float* dv, int tq, int tk, int hq, int hkv,
    long long qb, long long qh, long long qt, long long kb, long long kh, long long kt, long long vb, long long vh, long long vt,
    long long db, long long dh, long long dt, int causal, float scale, int vec,
    bf16_t* ks, bf16_t* vs, bf16_t* qs, bf16_t* dos, float* lses, float* dls, float* kok)
{
    const int S = D + 8;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
    int j0 = blockIdx.x * FA_BK, hk = blockIdx.y, b = blockIdx.z, group = hq / hkv, off = tk - tq;
    int kw = warp * 16, key0 = j0 + kw + g, key1 = key0 + 8; // this lane's two key rows
    fa_stage_rows<D, FA_BK>(ks, k + b * kb + hk * kh, kt, j0, tk, (vec & 2) != 0);
    fa_stage_rows<D, FA_BK>(vs, v + b * vb + hk * vh, vt, j0, tk, (vec & 4) != 0);
    fa_stage_keys(kok, key_mask, b, j0, FA_BK, tk);

    float dka[D / 8][4], dva[D / 8][4];
    #pragma unroll
    for (int n = 0; n < D / 8; n++)
        #pragma unroll
        for (int e = 0; e < 4; e++) { dka[n][e] = 0.0f; dva[n][e] = 0.0f; }

    int istart = causal ? max(0, j0 - off) : 0; // the first query that can see key j0
    istart -= istart % BQB;
    for (int hh = hk * group; hh < (hk + 1) * group; hh++)
        for (int i0 = istart; i0 < tq; i0 += BQB)
        {
            __syncthreads(); // previous step's readers are done (and, the first time, K/V/kok are staged)
            fa_stage_rows<D, BQB>(qs, q + b * qb + hh * qh, qt, i0, tq, (vec & 1) != 0);
            fa_stage_rows<D, BQB>(dos, dO + b * db + hh * dh, dt, i0, tq, (vec & 8) != 0);
            for (int r = threadIdx.x; r < BQB; r += FA_THREADS)
            {
                int i = i0 + r;
                long long row = ((long long)b * hq + hh) * tq + i;
                lses[r] = i < tq ? lse[row] : ENGINE_INF;
                dls[r] = i < tq ? delta[row] : 0.0f;
            }
            __syncthreads();

            float st[BQB / 8][4], dpt[BQB / 8][4];
            #pragma unroll
            for (int n = 0; n < BQB / 8; n++)
                #pragma unroll
                for (int e = 0; e < 4; e++) { st[n][e] = 0.0f; dpt[n][e] = 0.0f; }
            #pragma unroll
            for (int d = 0; d < D / 16; d++)
            {
                const bf16_t* kr0 = ks + (kw + g) * S + d * 16 + 2 * t;
                const bf16_t* vr0 = vs + (kw + g) * S + d * 16 + 2 * t;
                u32 ka[4] = { ld_u32(kr0), ld_u32(kr0 + 8 * S), ld_u32(kr0 + 8), ld_u32(kr0 + 8 * S + 8) };
                u32 va[4] = { ld_u32(vr0), ld_u32(vr0 + 8 * S), ld_u32(vr0 + 8), ld_u32(vr0 + 8 * S + 8) };
                #pragma unroll
                for (int n = 0; n < BQB / 8; n++)
                {
                    const bf16_t* qr = qs + (n * 8 + g) * S + d * 16 + 2 * t;
                    const bf16_t* dr = dos + (n * 8 + g) * S + d * 16 + 2 * t;
                    u32 bq[2] = { ld_u32(qr), ld_u32(qr + 8) };
                    u32 bd[2] = { ld_u32(dr), ld_u32(dr + 8) };
                    mma_m16n8k16_bf16(st[n], ka, bq, st[n]);
                    mma_m16n8k16_bf16(dpt[n], va, bd, dpt[n]);
                }
            }
            // Element e of n-tile n: key (e < 2 ? key0 : key1), query i0 + 8n + 2t + (e & 1).
            u32 pa[BQB / 16][4], dsa[BQB / 16][4];
            #pragma unroll
            for (int n = 0; n < BQB / 8; n++)
            {
                float p[4], ds[4];
                #pragma unroll
                for (int e = 0; e < 4; e++)
                {
                    int key = e < 2 ? key0 : key1, ql = n * 8 + 2 * t + (e & 1), i = i0 + ql;
                    float L = lses[ql];
                    bool vis = L < ENGINE_INF && kok[key - j0] != 0.0f && (!causal || key <= i + off);
                    p[e] = vis ? expf(st[n][e] * scale - L) : 0.0f;
                    ds[e] = p[e] * (dpt[n][e] - dls[ql]);
                }
                pa[n >> 1][(n & 1) * 2] = pack_f32_bf16x2(p[0], p[1]);
                pa[n >> 1][(n & 1) * 2 + 1] = pack_f32_bf16x2(p[2], p[3]);
                dsa[n >> 1][(n & 1) * 2] = pack_f32_bf16x2(ds[0], ds[1]);
                dsa[n >> 1][(n & 1) * 2 + 1] = pack_f32_bf16x2(ds[2], ds[3]);
            }
            // dV += Pᵀ·dO and dK += dSᵀ·Q: B[k = query][n = dim], two queries of one column read as two halves.
            #pragma unroll
            for (int kk = 0; kk < BQB / 16; kk++)
                #pragma unroll
                for (int n = 0; n < D / 8; n++)
                {
                    int c = n * 8 + g, rq = kk * 16 + 2 * t;
                    u32 bd[2] = { pack_bf16x2(dos[rq * S + c], dos[(rq + 1) * S + c]), pack_bf16x2(dos[(rq + 8) * S + c], dos[(rq + 9) * S + c]) };
                    u32 bq[2] = { pack_bf16x2(qs[rq * S + c], qs[(rq + 1) * S + c]), pack_bf16x2(qs[(rq + 8) * S + c], qs[(rq + 9) * S + c]) };
                    mma_m16n8k16_bf16(dva[n], pa[kk], bd, dva[n]);
                    mma_m16n8k16_bf16(dka[n], dsa[kk], bq, dka[n]);
                }
        }

    long long out0 = (((long long)b * hkv + hk) * tk + key0) * D, out1 = out0 + 8LL * D;
    #pragma unroll
    for (int n = 0; n < D / 8; n++)
    {
        int c = n * 8 + 2 * t;
        if (key0 < tk)
        {
            dk[out0 + c] = dka[n][0] * scale; dk[out0 + c + 1] = dka[n][1] * scale;
            dv[out0 + c] = dva[n][0]; dv[out0 + c + 1] = dva[n][1];
        }
        if (key1 < tk)
        {
            dk[out1 + c] = dka[n][2] * scale; dk[out1 + c + 1] = dka[n][3] * scale;
            dv[out1 + c] = dva[n][2]; dv[out1 + c + 1] = dva[n][3];
        }
    }
}

#define FA_BWD_ARGS const bf16_t* q, const bf16_t* k, const bf16_t* v, const bf16_t* dO, const float* lse, const float* delta, \
    const long long* key_mask, int tq, int tk, int hq, int hkv, \
    long long qb, long long qh, long long qt, long long kb, long long kh, long long kt, long long vb, long long vh, long long vt, \
    long long db, long long dh, long long dt, int causal, float scale, int vec
#define FA_BWD_PASS q, k, v, dO, lse, delta, key_mask

// grid (⌈Tk/64⌉, Hkv, B), 128 threads; dk/dv f32 contiguous [B, Hkv, Tk, D]. vec bits: 1 q, 2 k, 4 v, 8 dO.
// Query step 64 for D = 64 and 16 for D = 128 keeps the static shared memory under 48 KiB.
extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_bwd_dkdv_bf16_d64(FA_BWD_ARGS, float* dk, float* dv)
{
    __shared__ __align__(16) bf16_t ks[FA_BK * 72], vs[FA_BK * 72], qs[64 * 72], dos[64 * 72];
    __shared__ float lses[64], dls[64], kok[FA_BK];
    fa_bwd_dkdv<64, 64>(FA_BWD_PASS, dk, dv, tq, tk, hq, hkv, qb, qh, qt, kb, kh, kt, vb, vh, vt, db, dh, dt, causal, scale, vec,
        ks, vs, qs, dos, lses, dls, kok);
}

extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_bwd_dkdv_bf16_d128(FA_BWD_ARGS, float* dk, float* dv)
{
    __shared__ __align__(16) bf16_t ks[FA_BK * 136], vs[FA_BK * 136], qs[16 * 136], dos[16 * 136];
    __shared__ float lses[16], dls[16], kok[FA_BK];
    fa_bwd_dkdv<128, 16>(FA_BWD_PASS, dk, dv, tq, tk, hq, hkv, qb, qh, qt, kb, kh, kt, vb, vh, vt, db, dh, dt, causal, scale, vec,
        ks, vs, qs, dos, lses, dls, kok);
}

// ---------------------------------------------------------------------------------------------------------------
// Backward, step 3: dQ. CTA = (64-query tile, query head, batch); Q and dO rows stay in registers as A fragments,
// K/V tiles of BKQ keys are staged (K twice: row-major for Q·Kᵀ, row pairs for dS·K);
// S = Q·Kᵀ, P = exp(scale·S − lse), dP = dO·Vᵀ, dS = P ∘ (dP − δ), dQ += dS·K.
// Every dQ row is owned by one warp: no atomics, deterministic.
// ---------------------------------------------------------------------------------------------------------------
template <int D, int BKQ>
__device__ __forceinline__ void fa_bwd_dq(const bf16_t* q, const bf16_t* k, const bf16_t* v, const bf16_t* dO, const float* lse, const float* delta,
    const long long* key_mask, float* dq, int tq, int tk, int hq, int hkv,
    long long qb, long long qh, long long qt, long long kb, long long kh, long long kt, long long vb, long long vh, long long vt,
    long long db, long long dh, long long dt, int causal, float scale, int vec, bf16_t* ks, bf16_t* kps, bf16_t* vs, float* kok)
{
    const int S = D + 8;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
    int q0 = blockIdx.x * FA_BQ, h = blockIdx.y, b = blockIdx.z, hk = h / (hq / hkv), off = tk - tq;
    int r0 = q0 + warp * 16 + g, r1 = r0 + 8;
    const bf16_t* qhead = q + b * qb + h * qh;
    const bf16_t* dhead = dO + b * db + h * dh;
    const bf16_t* khead = k + b * kb + hk * kh;
    const bf16_t* vhead = v + b * vb + hk * vh;

    u32 qa[D / 16][4], da[D / 16][4];
    #pragma unroll
    for (int s = 0; s < D / 16; s++)
    {
        int c = s * 16 + 2 * t;
        qa[s][0] = fa_pair(qhead, r0, qt, c, tq); qa[s][1] = fa_pair(qhead, r1, qt, c, tq);
        qa[s][2] = fa_pair(qhead, r0, qt, c + 8, tq); qa[s][3] = fa_pair(qhead, r1, qt, c + 8, tq);
        da[s][0] = fa_pair(dhead, r0, dt, c, tq); da[s][1] = fa_pair(dhead, r1, dt, c, tq);
        da[s][2] = fa_pair(dhead, r0, dt, c + 8, tq); da[s][3] = fa_pair(dhead, r1, dt, c + 8, tq);
    }
    long long row0 = ((long long)b * hq + h) * tq + r0, row1 = row0 + 8;
    float L0 = r0 < tq ? lse[row0] : ENGINE_INF, L1 = r1 < tq ? lse[row1] : ENGINE_INF;
    float dl0 = r0 < tq ? delta[row0] : 0.0f, dl1 = r1 < tq ? delta[row1] : 0.0f;
    float acc[D / 8][4];
    #pragma unroll
    for (int n = 0; n < D / 8; n++) acc[n][0] = acc[n][1] = acc[n][2] = acc[n][3] = 0.0f;

    int last = tk - 1;
    if (causal) last = min(last, q0 + FA_BQ - 1 + off);
    for (int j0 = 0; j0 <= last; j0 += BKQ)
    {
        __syncthreads();
        fa_stage_rows<D, BKQ>(ks, khead, kt, j0, tk, (vec & 2) != 0);
        fa_stage_pairs<D, BKQ>(kps, khead, kt, j0, tk, (vec & 2) != 0);
        fa_stage_rows<D, BKQ>(vs, vhead, vt, j0, tk, (vec & 4) != 0);
        fa_stage_keys(kok, key_mask, b, j0, BKQ, tk);
        __syncthreads();

        float s[BKQ / 8][4], dp[BKQ / 8][4];
        #pragma unroll
        for (int n = 0; n < BKQ / 8; n++)
        {
            #pragma unroll
            for (int e = 0; e < 4; e++) { s[n][e] = 0.0f; dp[n][e] = 0.0f; }
            #pragma unroll
            for (int d = 0; d < D / 16; d++)
            {
                const bf16_t* kr = ks + (n * 8 + g) * S + d * 16 + 2 * t;
                const bf16_t* vr = vs + (n * 8 + g) * S + d * 16 + 2 * t;
                u32 bk[2] = { ld_u32(kr), ld_u32(kr + 8) };
                u32 bv[2] = { ld_u32(vr), ld_u32(vr + 8) };
                mma_m16n8k16_bf16(s[n], qa[d], bk, s[n]);
                mma_m16n8k16_bf16(dp[n], da[d], bv, dp[n]);
            }
        }
        u32 dsa[BKQ / 16][4];
        #pragma unroll
        for (int n = 0; n < BKQ / 8; n++)
        {
            float ds[4];
            #pragma unroll
            for (int e = 0; e < 4; e++)
            {
                int kl = n * 8 + 2 * t + (e & 1), row = e < 2 ? r0 : r1;
                float L = e < 2 ? L0 : L1, dl = e < 2 ? dl0 : dl1;
                bool vis = L < ENGINE_INF && kok[kl] != 0.0f && (!causal || j0 + kl <= row + off);
                float p = vis ? expf(s[n][e] * scale - L) : 0.0f;
                ds[e] = p * (dp[n][e] - dl);
            }
            dsa[n >> 1][(n & 1) * 2] = pack_f32_bf16x2(ds[0], ds[1]);
            dsa[n >> 1][(n & 1) * 2 + 1] = pack_f32_bf16x2(ds[2], ds[3]);
        }
        // dQ += dS·K: B[k = key][n = dim] from the row-pair copy of the K tile (one 32-bit read per register).
        #pragma unroll
        for (int kk = 0; kk < BKQ / 16; kk++)
            #pragma unroll
            for (int n = 0; n < D / 8; n++)
            {
                const bf16_t* kr = kps + 2 * ((kk * 8 + t) * (D + 8) + n * 8 + g);
                u32 bk[2] = { ld_u32(kr), ld_u32(kr + 8 * (D + 8)) };
                mma_m16n8k16_bf16(acc[n], dsa[kk], bk, acc[n]);
            }
    }

    #pragma unroll
    for (int n = 0; n < D / 8; n++)
    {
        int c = n * 8 + 2 * t;
        if (r0 < tq) { dq[row0 * D + c] = acc[n][0] * scale; dq[row0 * D + c + 1] = acc[n][1] * scale; }
        if (r1 < tq) { dq[row1 * D + c] = acc[n][2] * scale; dq[row1 * D + c + 1] = acc[n][3] * scale; }
    }
}

// grid (⌈Tq/64⌉, Hq, B), 128 threads; dq f32 contiguous [B, Hq, Tq, D]. Key step 64 for D = 64, 32 for D = 128 (registers).
extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_bwd_dq_bf16_d64(FA_BWD_ARGS, float* dq)
{
    __shared__ __align__(16) bf16_t ks[64 * 72], kps[64 * 72], vs[64 * 72];
    __shared__ float kok[64];
    fa_bwd_dq<64, 64>(FA_BWD_PASS, dq, tq, tk, hq, hkv, qb, qh, qt, kb, kh, kt, vb, vh, vt, db, dh, dt, causal, scale, vec,
        ks, kps, vs, kok);
}

extern "C" __global__ void __launch_bounds__(FA_THREADS) flash_attn_bwd_dq_bf16_d128(FA_BWD_ARGS, float* dq)
{
    __shared__ __align__(16) bf16_t ks[32 * 136], kps[32 * 136], vs[32 * 136];
    __shared__ float kok[32];
    fa_bwd_dq<128, 32>(FA_BWD_PASS, dq, tq, tk, hq, hkv, qb, qh, qt, kb, kh, kt, vb, vh, vt, db, dh, dt, causal, scale, vec,
        ks, kps, vs, kok);
}
