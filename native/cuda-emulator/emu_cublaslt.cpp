// cuBLASLt on the CPU, for the emulator: the subset the engine binds (src/Runtime/Cuda/Native/CuBlasLt.cs) with
// cuBLASLt's documented semantics, so CudaBlasLt is tested against plain loops without a GPU.
//   D = alpha * op(A) * op(B) + beta * C (+ bias[row] with CUBLASLT_EPILOGUE_BIAS), column-major layouts
//   (CUBLASLT_ORDER_COL only), strided batches, A/B in f32/f16/bf16, C/D in f32/f16/bf16, compute 32F
//   (accumulated here in double, then rounded once to D's type: at least as exact as the GPU's f32).
// Enum values (cublasLt.h, as listed in NVIDIA's cuBLASLt datatype reference): MatmulDesc TRANSA=3, TRANSB=4,
// EPILOGUE=7, BIAS_POINTER=8, BIAS_DATA_TYPE=26; MatrixLayout TYPE=0, ORDER=1, ROWS=2, COLS=3, LD=4,
// BATCH_COUNT=5, STRIDED_BATCH_OFFSET=6; Preference SEARCH_MODE=0, MAX_WORKSPACE_BYTES=1; Epilogue DEFAULT=1,
// BIAS=4; Order COL=0. Data types (cudaDataType): R_32F=0, R_16F=2, R_16BF=14. Compute: 32F=68, 32F_PEDANTIC=69,
// 32F_FAST_16F=74, 32F_FAST_16BF=75, 32F_FAST_TF32=77.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "emu_driver.h"

using namespace emu;

namespace
{
// cublasStatus_t values (cublas_api.h).
enum : int { kOk = 0, kBlasNotInitialized = 1, kInvalid = 7, kNotSupported = 15 };
enum : int { kR32F = 0, kR16F = 2, kR16BF = 14 };

struct LtHandle { int magic = 0x4c74; };

struct MatmulDesc
{
    int compute = 68, scale = kR32F;
    int32_t transa = 0, transb = 0;
    uint32_t epilogue = 1;
    uint64_t bias = 0;
    int32_t bias_type = -1;
};

struct Layout
{
    int32_t type = kR32F, order = 0;
    uint64_t rows = 0, cols = 0;
    int64_t ld = 0;
    int32_t batch = 1;
    int64_t stride = 0;
};

struct Preference { uint64_t max_workspace = 0; uint32_t search = 0; uint32_t align[4] = {256, 256, 256, 256}; };

struct Algo { uint64_t data[8]; };
struct HeuristicResult { Algo algo; size_t workspaceSize; int state; float wavesCount; int reserved[4]; };
static_assert(sizeof(HeuristicResult) == 96, "cublasLtMatmulHeuristicResult_t is 96 bytes");

size_t elem_size(int t) { return t == kR32F ? 4 : 2; }
bool known_type(int t) { return t == kR32F || t == kR16F || t == kR16BF; }

double load(const void* base, int type, size_t i)
{
    if (type == kR32F) return static_cast<const float*>(base)[i];
    uint16_t h = static_cast<const uint16_t*>(base)[i];
    if (type == kR16BF) { uint32_t u = (uint32_t)h << 16; float f; memcpy(&f, &u, 4); return f; }
    // IEEE half
    uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
    if (exp == 0) { float f = std::ldexp((float)man, -24); return sign ? -f : f; }
    if (exp == 31) u = sign | 0x7f800000u | (man << 13);
    else u = sign | ((exp + 112) << 23) | (man << 13);
    float f; memcpy(&f, &u, 4); return f;
}

void store(void* base, int type, size_t i, double v)
{
    float f = (float)v;
    if (type == kR32F) { static_cast<float*>(base)[i] = f; return; }
    uint32_t u; memcpy(&u, &f, 4);
    if (type == kR16BF)
    {
        // round to nearest even, NaN kept quiet
        uint16_t r = (f != f) ? (uint16_t)((u >> 16) | 0x40) : (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
        static_cast<uint16_t*>(base)[i] = r;
        return;
    }
    // f32 → IEEE half, round to nearest even (normal range; subnormals flushed toward zero precision)
    uint32_t sign = (u >> 16) & 0x8000u;
    int exp = (int)((u >> 23) & 0xff) - 127 + 15;
    uint32_t man = u & 0x7fffff;
    uint16_t h;
    if (f != f) h = 0x7e00;
    else if (exp >= 31) h = (uint16_t)(sign | 0x7c00);
    else if (exp <= 0) h = (uint16_t)(sign | (uint16_t)std::lrint(std::ldexp(std::fabs(f), 24)));
    else { uint32_t r = man + 0xfff + ((man >> 13) & 1); if (r & 0x800000) { r = 0; exp++; } h = (uint16_t)(sign | (exp << 10) | (r >> 13)); if (exp >= 31) h = (uint16_t)(sign | 0x7c00); }
    static_cast<uint16_t*>(base)[i] = h;
}

template <class T> int set_attr(T& field, const void* buf, size_t size, const char* what)
{
    if (!buf || size != sizeof(T)) return fail(kInvalid, std::string("cuBLASLt attribute ") + what + ": size " + std::to_string(size) + ", expected " + std::to_string(sizeof(T)));
    memcpy(&field, buf, sizeof(T));
    return kOk;
}

bool compute_ok(int c) { return c == 68 || c == 69 || c == 74 || c == 75 || c == 77; }

// Why (desc, layouts) cannot be computed here, or "" when they can.
std::string unsupported(const MatmulDesc& d, const Layout& a, const Layout& b, const Layout& c, const Layout& dd)
{
    if (!compute_ok(d.compute) || d.scale != kR32F) return "compute type " + std::to_string(d.compute) + " / scale type " + std::to_string(d.scale) + " (32F compute, R_32F scale supported)";
    if (d.epilogue != 1 && d.epilogue != 4) return "epilogue " + std::to_string(d.epilogue) + " (DEFAULT=1 and BIAS=4 supported)";
    for (const Layout* l : {&a, &b, &c, &dd})
    {
        if (!known_type(l->type)) return "data type " + std::to_string(l->type);
        if (l->order != 0) return "order " + std::to_string(l->order) + " (CUBLASLT_ORDER_COL only)";
        if (l->ld < (int64_t)std::max<uint64_t>(1, l->rows)) return "leading dimension " + std::to_string(l->ld) + " < rows " + std::to_string(l->rows);
    }
    if (a.type != b.type) return "A and B of different types";
    if (c.type != dd.type || c.rows != dd.rows || c.cols != dd.cols) return "C and D layouts differ";
    if (a.type == kR32F && dd.type != kR32F) return "f32 inputs need an f32 output";
    uint64_t m = d.transa ? a.cols : a.rows, k = d.transa ? a.rows : a.cols;
    uint64_t kb = d.transb ? b.cols : b.rows, n = d.transb ? b.rows : b.cols;
    if (k != kb) return "op(A) is " + std::to_string(m) + "x" + std::to_string(k) + " but op(B) is " + std::to_string(kb) + "x" + std::to_string(n);
    if (dd.rows != m || dd.cols != n) return "D is " + std::to_string(dd.rows) + "x" + std::to_string(dd.cols) + ", expected " + std::to_string(m) + "x" + std::to_string(n);
    int batch = dd.batch;
    for (const Layout* l : {&a, &b, &c})
        if (l->batch != batch) return "batch counts differ";
    return "";
}
}

EMU_API int cublasLtCreate(void** handle) { if (!handle) return kInvalid; *handle = new LtHandle(); return kOk; }
EMU_API int cublasLtDestroy(void* handle) { delete static_cast<LtHandle*>(handle); return kOk; }
// Not a cuBLASLt release number: "1" marks the emulator.
EMU_API size_t cublasLtGetVersion() { return 1; }

EMU_API int cublasLtMatmulDescCreate(void** desc, int compute, int scale)
{
    if (!desc) return kInvalid;
    auto* d = new MatmulDesc();
    d->compute = compute; d->scale = scale;
    *desc = d;
    return kOk;
}
EMU_API int cublasLtMatmulDescDestroy(void* desc) { delete static_cast<MatmulDesc*>(desc); return kOk; }
EMU_API int cublasLtMatmulDescSetAttribute(void* desc, int attr, const void* buf, size_t size)
{
    if (!desc) return kBlasNotInitialized;
    auto* d = static_cast<MatmulDesc*>(desc);
    switch (attr)
    {
    case 0: return set_attr(d->compute, buf, size, "COMPUTE_TYPE");
    case 1: return set_attr(d->scale, buf, size, "SCALE_TYPE");
    case 3: return set_attr(d->transa, buf, size, "TRANSA");
    case 4: return set_attr(d->transb, buf, size, "TRANSB");
    case 7: return set_attr(d->epilogue, buf, size, "EPILOGUE");
    case 8: return set_attr(d->bias, buf, size, "BIAS_POINTER");
    case 26: return set_attr(d->bias_type, buf, size, "BIAS_DATA_TYPE");
    default: return fail(kNotSupported, "cublasLtMatmulDescSetAttribute: attribute " + std::to_string(attr) + " is not emulated");
    }
}

EMU_API int cublasLtMatrixLayoutCreate(void** layout, int type, uint64_t rows, uint64_t cols, int64_t ld)
{
    if (!layout) return kInvalid;
    auto* l = new Layout();
    l->type = type; l->rows = rows; l->cols = cols; l->ld = ld;
    *layout = l;
    return kOk;
}
EMU_API int cublasLtMatrixLayoutDestroy(void* layout) { delete static_cast<Layout*>(layout); return kOk; }
EMU_API int cublasLtMatrixLayoutSetAttribute(void* layout, int attr, const void* buf, size_t size)
{
    if (!layout) return kBlasNotInitialized;
    auto* l = static_cast<Layout*>(layout);
    switch (attr)
    {
    case 0: return set_attr(l->type, buf, size, "TYPE");
    case 1: return set_attr(l->order, buf, size, "ORDER");
    case 2: return set_attr(l->rows, buf, size, "ROWS");
    case 3: return set_attr(l->cols, buf, size, "COLS");
    case 4: return set_attr(l->ld, buf, size, "LD");
    case 5: return set_attr(l->batch, buf, size, "BATCH_COUNT");
    case 6: return set_attr(l->stride, buf, size, "STRIDED_BATCH_OFFSET");
    default: return fail(kNotSupported, "cublasLtMatrixLayoutSetAttribute: attribute " + std::to_string(attr) + " is not emulated");
    }
}

EMU_API int cublasLtMatmulPreferenceCreate(void** pref) { if (!pref) return kInvalid; *pref = new Preference(); return kOk; }
EMU_API int cublasLtMatmulPreferenceDestroy(void* pref) { delete static_cast<Preference*>(pref); return kOk; }
EMU_API int cublasLtMatmulPreferenceSetAttribute(void* pref, int attr, const void* buf, size_t size)
{
    if (!pref) return kBlasNotInitialized;
    auto* p = static_cast<Preference*>(pref);
    switch (attr)
    {
    case 0: return set_attr(p->search, buf, size, "SEARCH_MODE");
    case 1: return set_attr(p->max_workspace, buf, size, "MAX_WORKSPACE_BYTES");
    case 5: case 6: case 7: case 8: return set_attr(p->align[attr - 5], buf, size, "MIN_ALIGNMENT");
    default: return fail(kNotSupported, "cublasLtMatmulPreferenceSetAttribute: attribute " + std::to_string(attr) + " is not emulated");
    }
}

EMU_API int cublasLtMatmulAlgoGetHeuristic(void* handle, void* op, void* a, void* b, void* c, void* d, void* pref, int requested,
                                           HeuristicResult* results, int* returned)
{
    if (!handle || !op || !a || !b || !c || !d || !pref) return kBlasNotInitialized;
    if (requested < 1 || !results || !returned) return kInvalid;
    auto why = unsupported(*static_cast<MatmulDesc*>(op), *static_cast<Layout*>(a), *static_cast<Layout*>(b), *static_cast<Layout*>(c), *static_cast<Layout*>(d));
    *returned = 0;
    if (!why.empty()) return fail(kNotSupported, "cublasLtMatmulAlgoGetHeuristic: " + why);
    memset(&results[0], 0, sizeof(HeuristicResult));
    results[0].algo.data[0] = 0x454d55; // "EMU": the one algorithm, a plain loop needing no workspace
    results[0].wavesCount = 1.0f;
    *returned = 1;
    return kOk;
}

EMU_API int cublasLtMatmul(void* handle, void* op, const void* alpha, const void* A, void* adesc, const void* B, void* bdesc, const void* beta,
                           const void* C, void* cdesc, void* D, void* ddesc, const Algo* algo, void* workspace, size_t workspace_bytes, void* stream)
{
    (void)workspace; (void)workspace_bytes;
    if (!handle || !op || !adesc || !bdesc || !cdesc || !ddesc) return kBlasNotInitialized;
    if (!alpha || !beta || !A || !B || !D) return kInvalid;
    if (algo && algo->data[0] != 0x454d55) return fail(kInvalid, "cublasLtMatmul: algorithm not from cublasLtMatmulAlgoGetHeuristic");
    // Parameters are copied now, like the real library does when the call is captured into a graph.
    MatmulDesc dsc = *static_cast<MatmulDesc*>(op);
    Layout la = *static_cast<Layout*>(adesc), lb = *static_cast<Layout*>(bdesc), lc = *static_cast<Layout*>(cdesc), ld = *static_cast<Layout*>(ddesc);
    auto why = unsupported(dsc, la, lb, lc, ld);
    if (!why.empty()) return fail(kNotSupported, "cublasLtMatmul: " + why);
    double al = *static_cast<const float*>(alpha), be = *static_cast<const float*>(beta);
    if (be != 0 && !C) return kInvalid;
    uint64_t m = ld.rows, n = ld.cols, k = dsc.transa ? la.rows : la.cols;
    int batch = ld.batch;
    int bias_type = dsc.bias_type < 0 ? ld.type : dsc.bias_type;
    if (dsc.epilogue == 4 && !dsc.bias) return fail(kInvalid, "cublasLtMatmul: CUBLASLT_EPILOGUE_BIAS without BIAS_POINTER");
    // Every byte the call touches must be device memory (catches layout/stride mistakes as errors, not corruption).
    auto span = [](const Layout& l) { return ((l.cols - 1) * (uint64_t)l.ld + l.rows + (uint64_t)(l.batch - 1) * (uint64_t)l.stride) * elem_size(l.type); };
    if (m && n && k)
    {
        if (!is_device_range((uintptr_t)A, span(la))) return fail(kInvalid, "cublasLtMatmul: A " + describe_pointer((uintptr_t)A) + " is not " + std::to_string(span(la)) + " bytes of device memory");
        if (!is_device_range((uintptr_t)B, span(lb))) return fail(kInvalid, "cublasLtMatmul: B " + describe_pointer((uintptr_t)B) + " is not " + std::to_string(span(lb)) + " bytes of device memory");
    }
    if (m && n && !is_device_range((uintptr_t)D, span(ld))) return fail(kInvalid, "cublasLtMatmul: D " + describe_pointer((uintptr_t)D) + " is not " + std::to_string(span(ld)) + " bytes of device memory");
    if (m && n && be != 0 && !is_device_range((uintptr_t)C, span(lc))) return fail(kInvalid, "cublasLtMatmul: C is not device memory");
    if (dsc.epilogue == 4 && !is_device_range((uintptr_t)dsc.bias, m * elem_size(bias_type))) return fail(kInvalid, "cublasLtMatmul: bias is not " + std::to_string(m) + " elements of device memory");
    return record_or_run(stream, [=] {
        std::vector<double> acc(m * n);
        for (int bt = 0; bt < batch; bt++)
        {
            const char* pa = static_cast<const char*>(A) + (size_t)bt * la.stride * elem_size(la.type);
            const char* pb = static_cast<const char*>(B) + (size_t)bt * lb.stride * elem_size(lb.type);
            const char* pc = C ? static_cast<const char*>(C) + (size_t)bt * lc.stride * elem_size(lc.type) : nullptr;
            char* pd = static_cast<char*>(D) + (size_t)bt * ld.stride * elem_size(ld.type);
            for (uint64_t j = 0; j < n; j++)
                for (uint64_t i = 0; i < m; i++)
                {
                    double s = 0;
                    for (uint64_t p = 0; p < k; p++)
                    {
                        size_t ia = dsc.transa ? i * la.ld + p : p * la.ld + i;   // op(A)[i,p]
                        size_t ib = dsc.transb ? p * lb.ld + j : j * lb.ld + p;   // op(B)[p,j]
                        s += load(pa, la.type, ia) * load(pb, lb.type, ib);
                    }
                    acc[j * m + i] = s;
                }
            for (uint64_t j = 0; j < n; j++)
                for (uint64_t i = 0; i < m; i++)
                {
                    double v = al * acc[j * m + i];
                    if (be != 0) v += be * load(pc, lc.type, j * lc.ld + i);
                    if (dsc.epilogue == 4) v += load(reinterpret_cast<const void*>(dsc.bias), bias_type, i);
                    store(pd, ld.type, j * ld.ld + i, v);
                }
        }
        return (int)kOk;
    });
}
