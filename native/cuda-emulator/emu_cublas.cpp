// cuBLAS (v2) on the emulator: cublasGemmEx / cublasGemmStridedBatchedEx with cuBLAS's documented COLUMN-MAJOR
// semantics, written from the cuBLAS reference, not from our row-major wrapper (src/Runtime/Cuda/CudaBlas.cs):
//   C = alpha·op(A)·op(B) + beta·C,  op(A) m×k, op(B) k×n, C m×n, element (i,j) of X at X[i + j·ldX];
//   when beta == 0, C is not read (so NaN/poison in C does not propagate).
// Types: A and B f32, f16 or bf16 (the same), C f32 or the input type; compute CUBLAS_COMPUTE_32F (f32 accumulation).
#include <cmath>
#include <cstdio>
#include <vector>

#include "emu_driver.h"

using namespace emu;

namespace
{
enum : int { kOk = 0, kBlasNotInitialized = 1, kInvalid = 7, kExecFailed = 13, kNotSupported = 15 };
enum : int { R32F = 0, R16F = 2, R16BF = 14 };

struct Handle
{
    void* stream = nullptr;
};

float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0)
    {
        if (mant == 0) bits = sign;
        else
        {
            int e = -1;
            do { mant <<= 1; e++; } while (!(mant & 0x400));
            bits = sign | (uint32_t)(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
        }
    }
    else if (exp == 31) bits = sign | 0x7f800000u | mant << 13;
    else bits = sign | (exp + 112) << 23 | mant << 13;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

uint16_t float_to_half(float f)  // round to nearest even
{
    uint32_t x;
    std::memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00);
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);   // rounds to ≥ 65520: inf
    if (ax < 0x38800000u)                                        // subnormal half
    {
        float a;
        std::memcpy(&a, &ax, 4);
        return (uint16_t)(sign | (uint32_t)std::nearbyint(a * 16777216.0f));
    }
    uint32_t r = ax + 0xfffu + ((ax >> 13) & 1);
    return (uint16_t)(sign | (((r >> 13) - (112u << 10)) & 0x7fff));
}

float bf16_to_float(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

uint16_t float_to_bf16(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

float load(const void* base, int type, long long idx)
{
    switch (type)
    {
        case R32F: return static_cast<const float*>(base)[idx];
        case R16F: return half_to_float(static_cast<const uint16_t*>(base)[idx]);
        default: return bf16_to_float(static_cast<const uint16_t*>(base)[idx]);
    }
}

void store(void* base, int type, long long idx, float v)
{
    switch (type)
    {
        case R32F: static_cast<float*>(base)[idx] = v; break;
        case R16F: static_cast<uint16_t*>(base)[idx] = float_to_half(v); break;
        default: static_cast<uint16_t*>(base)[idx] = float_to_bf16(v); break;
    }
}

int elem_size(int type) { return type == R32F ? 4 : 2; }

struct GemmArgs
{
    int ta, tb, m, n, k;
    float alpha, beta;
    uintptr_t a, b, c;
    int atype, btype, ctype, lda, ldb, ldc;
    long long sa, sb, sc;
    int batch;
};

// Bytes spanned by a column-major matrix of `rows`×`cols` with leading dimension ld.
size_t span(int rows, int cols, int ld, int type) { return rows == 0 || cols == 0 ? 0 : ((size_t)(cols - 1) * ld + rows) * elem_size(type); }

int check_operand(const char* call, const char* what, uintptr_t p, long long stride, int batch, int rows, int cols, int ld, int type)
{
    for (int i = 0; i < batch; i++)
    {
        uintptr_t q = p + (uintptr_t)(stride * i * elem_size(type));
        size_t bytes = span(rows, cols, ld, type);
        if (bytes && !is_device_range(q, bytes))
        {
            fprintf(stderr, "[cuda-emulator] %s: %s of batch %d (%d×%d, ld %d) at %s is not inside one device allocation\n", call, what, i, rows, cols, ld,
                    describe_pointer(q).c_str());
            return kInvalid;
        }
    }
    return kOk;
}

int run_gemm(const GemmArgs& g)
{
    // op(A)[i, p] and op(B)[p, j], gathered into f32 rows contiguous in p so the inner loop is a dot product.
    std::vector<float> at((size_t)g.m * g.k), bt((size_t)g.n * g.k);
    for (int bi = 0; bi < g.batch; bi++)
    {
        auto A = reinterpret_cast<const void*>(g.a + (uintptr_t)(g.sa * bi * elem_size(g.atype)));
        auto B = reinterpret_cast<const void*>(g.b + (uintptr_t)(g.sb * bi * elem_size(g.btype)));
        auto C = reinterpret_cast<void*>(g.c + (uintptr_t)(g.sc * bi * elem_size(g.ctype)));
        bool read_ab = g.alpha != 0.0f && g.k > 0;
        if (read_ab)
        {
            for (int i = 0; i < g.m; i++)
                for (int p = 0; p < g.k; p++)
                    at[(size_t)i * g.k + p] = load(A, g.atype, g.ta == 0 ? i + (long long)p * g.lda : p + (long long)i * g.lda);
            for (int j = 0; j < g.n; j++)
                for (int p = 0; p < g.k; p++)
                    bt[(size_t)j * g.k + p] = load(B, g.btype, g.tb == 0 ? p + (long long)j * g.ldb : j + (long long)p * g.ldb);
        }
        for (int j = 0; j < g.n; j++)
            for (int i = 0; i < g.m; i++)
            {
                float acc = 0.0f;
                if (read_ab)
                {
                    const float* x = &at[(size_t)i * g.k];
                    const float* y = &bt[(size_t)j * g.k];
                    for (int p = 0; p < g.k; p++) acc = std::fma(x[p], y[p], acc);  // one FMA chain in k order, as a GEMM thread does
                }
                long long ci = i + (long long)j * g.ldc;
                float v = g.alpha * acc;
                if (g.beta != 0.0f) v += g.beta * load(C, g.ctype, ci);
                store(C, g.ctype, ci, v);
            }
    }
    return kOk;
}

int gemm(const char* call, void* handle, int transa, int transb, int m, int n, int k, const void* alpha, uintptr_t a, int atype, int lda,
         long long sa, uintptr_t b, int btype, int ldb, long long sb, const void* beta, uintptr_t c, int ctype, int ldc, long long sc, int batch,
         int compute, int algo)
{
    (void)algo;
    if (!handle) return kBlasNotInitialized;
    auto fail_with = [&](int status, const std::string& why) {
        fprintf(stderr, "[cuda-emulator] %s: %s\n", call, why.c_str());
        return status;
    };
    if (transa < 0 || transa > 2 || transb < 0 || transb > 2) return fail_with(kInvalid, "transa/transb must be N, T or C");
    if (m < 0 || n < 0 || k < 0 || batch < 0) return fail_with(kInvalid, "negative m, n, k or batch");
    int ta = transa != 0, tb = transb != 0;
    if (lda < (ta ? (k > 1 ? k : 1) : (m > 1 ? m : 1))) return fail_with(kInvalid, "lda < max(1, " + std::string(ta ? "k" : "m") + ")");
    if (ldb < (tb ? (n > 1 ? n : 1) : (k > 1 ? k : 1))) return fail_with(kInvalid, "ldb < max(1, " + std::string(tb ? "n" : "k") + ")");
    if (ldc < (m > 1 ? m : 1)) return fail_with(kInvalid, "ldc < max(1, m)");
    if (compute != 68 && compute != 77 && compute != 74 && compute != 75 && compute != R32F)
        return fail_with(kNotSupported, "computeType " + std::to_string(compute) + " (the emulator does CUBLAS_COMPUTE_32F and its fast variants)");
    bool types_ok = atype == btype && (atype == R32F || atype == R16F || atype == R16BF) && (ctype == R32F || ctype == atype);
    if (!types_ok) return fail_with(kNotSupported, "type combination A=" + std::to_string(atype) + " B=" + std::to_string(btype) + " C=" + std::to_string(ctype));
    if (!alpha || !beta) return fail_with(kInvalid, "null alpha/beta");
    if (m == 0 || n == 0 || batch == 0) return kOk;
    GemmArgs g{ta, tb, m, n, k, *static_cast<const float*>(alpha), *static_cast<const float*>(beta), a, b, c, atype, btype, ctype, lda, ldb, ldc, sa, sb, sc, batch};
    if (g.alpha != 0.0f && k > 0)
    {
        if (check_operand(call, "A", a, sa, batch, ta ? k : m, ta ? m : k, lda, atype)) return kInvalid;
        if (check_operand(call, "B", b, sb, batch, tb ? n : k, tb ? k : n, ldb, btype)) return kInvalid;
    }
    if (check_operand(call, "C", c, sc, batch, m, n, ldc, ctype)) return kInvalid;
    // alpha/beta are host pointers (CUBLAS_POINTER_MODE_HOST) read at call time, so a recorded call keeps the values.
    void* stream = static_cast<Handle*>(handle)->stream;
    return record_or_run(stream, [g] { return run_gemm(g) == kOk ? (int)kSuccess : (int)kLaunchFailed; }) == kSuccess ? kOk : kExecFailed;
}
}

EMU_API int cublasCreate_v2(void** handle)
{
    if (!handle) return kInvalid;
    *handle = new Handle();
    return kOk;
}

EMU_API int cublasDestroy_v2(void* handle)
{
    if (!handle) return kBlasNotInitialized;
    delete static_cast<Handle*>(handle);
    return kOk;
}

EMU_API int cublasSetStream_v2(void* handle, void* stream)
{
    if (!handle) return kBlasNotInitialized;
    if (!valid_stream(stream)) return kInvalid;
    static_cast<Handle*>(handle)->stream = stream;
    return kOk;
}

EMU_API int cublasGetVersion_v2(void* handle, int* version)
{
    if (!handle) return kBlasNotInitialized;
    if (!version) return kInvalid;
    *version = 120000;
    return kOk;
}

EMU_API int cublasGemmEx(void* handle, int transa, int transb, int m, int n, int k, const void* alpha, uintptr_t a, int atype, int lda, uintptr_t b,
                         int btype, int ldb, const void* beta, uintptr_t c, int ctype, int ldc, int compute, int algo)
{
    return gemm("cublasGemmEx", handle, transa, transb, m, n, k, alpha, a, atype, lda, 0, b, btype, ldb, 0, beta, c, ctype, ldc, 0, 1, compute, algo);
}

EMU_API int cublasGemmStridedBatchedEx(void* handle, int transa, int transb, int m, int n, int k, const void* alpha, uintptr_t a, int atype, int lda,
                                       long long sa, uintptr_t b, int btype, int ldb, long long sb, const void* beta, uintptr_t c, int ctype, int ldc,
                                       long long sc, int batch, int compute, int algo)
{
    return gemm("cublasGemmStridedBatchedEx", handle, transa, transb, m, n, k, alpha, a, atype, lda, sa, b, btype, ldb, sb, beta, c, ctype, ldc, sc, batch,
                compute, algo);
}
