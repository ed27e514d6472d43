// The CUDA driver API entry points the engine binds (src/Runtime/Cuda/Native/CudaDriver.cs), on the CPU.
// Device memory is host memory (256-byte aligned, tracked so bad copies and kernel pointers are reported);
// every stream is synchronous; launches run on the calling thread (emu_fiber.cpp). Stream capture records
// launches (and cuBLAS calls) into a graph instead of running them; cuGraphLaunch replays them in order.
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "emu_driver.h"

namespace emu
{
// ---- errors ---------------------------------------------------------------------------------------------------
namespace
{
thread_local int t_last_rc = 0;
thread_local std::string t_last_msg;
}

int fail(int rc, const std::string& message)
{
    t_last_rc = rc;
    t_last_msg = message;
    if (getenv("ENGINE_CUDA_EMULATOR_TRACE")) fprintf(stderr, "[cuda-emulator] error %d: %s\n", rc, message.c_str());
    return rc;
}

const char* last_message(int rc) { return rc == t_last_rc && !t_last_msg.empty() ? t_last_msg.c_str() : nullptr; }

// ---- memory ---------------------------------------------------------------------------------------------------
namespace
{
constexpr size_t kTotalMemory = 8ull << 30;
struct Block
{
    size_t bytes;      // as requested
    size_t rounded;    // to 256, as the driver's granularity; the guard page starts at base + rounded
    void* map;
    size_t map_bytes;
};
std::mutex g_mem_mutex;
std::map<uintptr_t, Block> g_allocs;   // base → block
size_t g_in_use;
size_t page_size() { static const size_t p = (size_t)sysconf(_SC_PAGESIZE); return p; }
}

bool guard_hit(uintptr_t addr, uintptr_t* base, size_t* bytes)
{
    // Called from the SIGSEGV handler of a faulting launch: read-only lookup, no allocation.
    auto it = g_allocs.upper_bound(addr);
    if (it == g_allocs.begin()) return false;
    --it;
    uintptr_t guard = it->first + it->second.rounded;
    if (addr < guard || addr >= guard + page_size()) return false;
    *base = it->first;
    *bytes = it->second.bytes;
    return true;
}

bool is_device_range(uintptr_t p, size_t bytes)
{
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    auto it = g_allocs.upper_bound(p);
    if (it == g_allocs.begin()) return false;
    --it;
    size_t size = it->second.bytes;
    return p >= it->first && p - it->first <= size && bytes <= size - (p - it->first);
}

std::string describe_pointer(uintptr_t p)
{
    char b[32];
    snprintf(b, sizeof b, "0x%llx", (unsigned long long)p);
    return b;
}

int mem_alloc(uintptr_t* out, size_t bytes)
{
    if (!out) return fail(kInvalidValue, "cuMemAlloc: null output pointer");
    if (bytes == 0) return fail(kInvalidValue, "cuMemAlloc: zero bytes");
    size_t rounded = (bytes + 255) / 256 * 256;
    {
        std::lock_guard<std::mutex> lock(g_mem_mutex);
        if (g_in_use + rounded > kTotalMemory) return fail(kOutOfMemory, "cuMemAlloc: the emulated device's 8 GiB are in use");
    }
    // Each block ends where a PROT_NONE page begins, so a kernel reading or writing past the end (beyond the 256-byte
    // granularity) faults, and the launch reports where (emu_fiber.cpp), instead of silently touching other data.
    size_t page = page_size(), body = (rounded + page - 1) / page * page;
    void* m = mmap(nullptr, body + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return fail(kOutOfMemory, "cuMemAlloc: host mapping of " + std::to_string(rounded) + " bytes failed");
    mprotect(static_cast<char*>(m) + body, page, PROT_NONE);
    auto p = reinterpret_cast<uintptr_t>(m) + body - rounded;
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    g_allocs[p] = Block{bytes, rounded, m, body + page};
    g_in_use += rounded;
    *out = p;
    return kSuccess;
}

int mem_free(uintptr_t p)
{
    if (p == 0) return kSuccess;
    void* map;
    size_t map_bytes;
    {
        std::lock_guard<std::mutex> lock(g_mem_mutex);
        auto it = g_allocs.find(p);
        if (it == g_allocs.end()) return fail(kInvalidValue, "cuMemFree(" + describe_pointer(p) + "): not the start of a live allocation");
        g_in_use -= it->second.rounded;
        map = it->second.map;
        map_bytes = it->second.map_bytes;
        g_allocs.erase(it);
    }
    munmap(map, map_bytes);
    return kSuccess;
}

// ---- registry -------------------------------------------------------------------------------------------------
namespace
{
std::map<std::string, FileEntry>& files()
{
    static std::map<std::string, FileEntry> m;
    return m;
}
std::map<std::string, std::string>& headers()
{
    static std::map<std::string, std::string> m;
    return m;
}
}

FileRegistrar::FileRegistrar(const char* file, const char* source, const KernelInfo* kernels, int count)
{
    files()[file] = FileEntry{file, source, kernels, count};
}

HeaderRegistrar::HeaderRegistrar(const char* name, const char* source) { headers()[name] = source; }

const FileEntry* find_file(const std::string& file)
{
    auto it = files().find(file);
    return it == files().end() ? nullptr : &it->second;
}

const std::string* find_header(const std::string& name)
{
    auto it = headers().find(name);
    return it == headers().end() ? nullptr : &it->second;
}

std::string registered_files()
{
    std::string r;
    for (auto& [k, v] : files()) r += (r.empty() ? "" : ", ") + k;
    return r;
}

// ---- streams, events, graphs ----------------------------------------------------------------------------------
std::mutex g_state_mutex;          // guards streams/events/graphs/capture bookkeeping
std::set<Stream*> g_streams;
std::set<Capture*> g_captures;

Stream* as_stream(void* s) { return static_cast<Stream*>(s); }

bool valid_stream(void* s)
{
    if (s == nullptr || s == (void*)1 || s == (void*)2) return true;  // legacy / per-thread default streams
    std::lock_guard<std::mutex> lock(g_state_mutex);
    return g_streams.count(as_stream(s)) != 0;
}

Capture* capture_of(void* s)
{
    if (s == nullptr || s == (void*)1 || s == (void*)2) return nullptr;
    std::lock_guard<std::mutex> lock(g_state_mutex);
    return g_streams.count(as_stream(s)) ? as_stream(s)->capture : nullptr;
}

// An API call that CUDA forbids while a non-relaxed capture is active: invalidate it and fail like the driver does.
int forbidden_during_capture(const char* call)
{
    std::lock_guard<std::mutex> lock(g_state_mutex);
    for (Capture* c : g_captures)
        if (c->mode != 2 && !c->invalidated)
        {
            c->invalidated = true;
            return fail(kCaptureUnsupported, std::string(call) + " during stream capture (mode " + std::to_string(c->mode) +
                                                 "): not permitted; the capture is invalidated");
        }
    return kSuccess;
}

int record_or_run(void* stream, std::function<int()> op)
{
    if (Capture* c = capture_of(stream))
    {
        if (c->invalidated) return fail(kCaptureInvalidated, "operation on a stream whose capture was invalidated");
        c->graph->nodes.push_back(std::move(op));
        return kSuccess;
    }
    return op();
}
} // namespace emu

using namespace emu;

namespace
{
int g_ctx_dummy;
thread_local void* t_current_ctx = nullptr;

struct Event
{
    std::chrono::steady_clock::time_point t{};
    bool recorded = false;
    Capture* capture = nullptr;
};

struct Module
{
    const FileEntry* file;
};

struct Function
{
    const KernelInfo* kernel;
    const FileEntry* file;
    int max_dynamic_shared;
};

std::mutex g_module_mutex;
std::map<std::pair<const FileEntry*, std::string>, std::unique_ptr<Function>> g_functions;

const char* error_name(int rc)
{
    switch (rc)
    {
        case kSuccess: return "CUDA_SUCCESS";
        case kInvalidValue: return "CUDA_ERROR_INVALID_VALUE";
        case kOutOfMemory: return "CUDA_ERROR_OUT_OF_MEMORY";
        case kNotInitialized: return "CUDA_ERROR_NOT_INITIALIZED";
        case kInvalidDevice: return "CUDA_ERROR_INVALID_DEVICE";
        case kInvalidImage: return "CUDA_ERROR_INVALID_IMAGE";
        case kInvalidContext: return "CUDA_ERROR_INVALID_CONTEXT";
        case kInvalidHandle: return "CUDA_ERROR_INVALID_HANDLE";
        case kIllegalState: return "CUDA_ERROR_ILLEGAL_STATE";
        case kNotFound: return "CUDA_ERROR_NOT_FOUND";
        case kNotReady: return "CUDA_ERROR_NOT_READY";
        case kIllegalAddress: return "CUDA_ERROR_ILLEGAL_ADDRESS";
        case kLaunchOutOfResources: return "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES";
        case kLaunchFailed: return "CUDA_ERROR_LAUNCH_FAILED";
        case kCaptureUnsupported: return "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED";
        case kCaptureInvalidated: return "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED";
        case kCaptureUnmatched: return "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED";
        case kCaptureWrongThread: return "CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD";
        default: return nullptr;
    }
}

const char* error_text(int rc)
{
    switch (rc)
    {
        case kSuccess: return "no error";
        case kInvalidValue: return "invalid argument";
        case kOutOfMemory: return "out of memory";
        case kInvalidImage: return "device kernel image is invalid";
        case kInvalidHandle: return "invalid resource handle";
        case kNotFound: return "named symbol not found";
        case kNotReady: return "device not ready";
        case kIllegalAddress: return "an illegal memory access was encountered";
        case kLaunchFailed: return "unspecified launch failure";
        case kCaptureUnsupported: return "operation not permitted when stream is capturing";
        case kCaptureInvalidated: return "operation failed due to a previous error during capture";
        default: return error_name(rc);
    }
}

int copy_checked(const char* call, void* dst, const void* src, size_t bytes, bool dst_dev, bool src_dev)
{
    if (bytes == 0) return kSuccess;
    if (dst_dev && !is_device_range((uintptr_t)dst, bytes))
        return fail(kInvalidValue, std::string(call) + ": destination " + describe_pointer((uintptr_t)dst) + " + " + std::to_string(bytes) + " bytes is not inside one device allocation");
    if (src_dev && !is_device_range((uintptr_t)src, bytes))
        return fail(kInvalidValue, std::string(call) + ": source " + describe_pointer((uintptr_t)src) + " + " + std::to_string(bytes) + " bytes is not inside one device allocation");
    if (!dst || !src) return fail(kInvalidValue, std::string(call) + ": null pointer");
    std::memmove(dst, src, bytes);
    return kSuccess;
}

// A launch recorded during capture keeps its own copy of the parameter values (the caller frees its array).
struct RecordedLaunch
{
    const KernelInfo* kernel;
    const char* file;
    dim3 grid, block;
    unsigned shared;
    std::vector<std::vector<unsigned char>> params;
    int operator()()
    {
        std::vector<void*> ptrs(params.size());
        for (size_t i = 0; i < params.size(); i++) ptrs[i] = params[i].data();
        return launch(kernel, file, grid, block, shared, ptrs.data());
    }
};
} // namespace

// ---- initialisation, device, context ------------------------------------------------------------------------------
EMU_API int cuInit(unsigned int flags) { return flags == 0 ? kSuccess : fail(kInvalidValue, "cuInit: flags must be 0"); }
EMU_API int cuDriverGetVersion(int* v) { if (!v) return kInvalidValue; *v = 12000; return kSuccess; }
EMU_API int cuDeviceGetCount(int* n) { if (!n) return kInvalidValue; *n = 1; return kSuccess; }
EMU_API int cuDeviceGet(int* dev, int ordinal)
{
    if (!dev) return kInvalidValue;
    if (ordinal != 0) return fail(kInvalidDevice, "cuDeviceGet: the emulator has one device (0)");
    *dev = 0;
    return kSuccess;
}

EMU_API int cuDeviceGetName(char* name, int len, int dev)
{
    if (!name || len <= 0) return kInvalidValue;
    if (dev != 0) return kInvalidDevice;
    snprintf(name, (size_t)len, "%s", kDeviceName);
    return kSuccess;
}

EMU_API int cuDeviceGetAttribute(int* value, int attribute, int dev)
{
    if (!value) return kInvalidValue;
    if (dev != 0) return kInvalidDevice;
    switch (attribute)
    {
        case 1: *value = 1024; break;                 // MAX_THREADS_PER_BLOCK
        case 2: case 3: *value = 1024; break;         // MAX_BLOCK_DIM_X/Y
        case 4: *value = 64; break;                   // MAX_BLOCK_DIM_Z
        case 5: *value = 0x7fffffff; break;           // MAX_GRID_DIM_X
        case 6: case 7: *value = 65535; break;        // MAX_GRID_DIM_Y/Z
        case 8: *value = 48 * 1024; break;            // MAX_SHARED_MEMORY_PER_BLOCK
        case 9: *value = 64 * 1024; break;            // TOTAL_CONSTANT_MEMORY
        case 10: *value = 32; break;                  // WARP_SIZE
        case 12: *value = 65536; break;               // MAX_REGISTERS_PER_BLOCK
        case 13: *value = 1000000; break;             // CLOCK_RATE (kHz)
        case 16: *value = kMultiprocessors; break;    // MULTIPROCESSOR_COUNT
        case 38: *value = 50 * 1024 * 1024; break;    // L2_CACHE_SIZE
        case 39: *value = 2048; break;                // MAX_THREADS_PER_MULTIPROCESSOR
        case 41: *value = 1; break;                   // UNIFIED_ADDRESSING
        case 75: *value = 9; break;                   // COMPUTE_CAPABILITY_MAJOR
        case 76: *value = 0; break;                   // COMPUTE_CAPABILITY_MINOR
        case 81: *value = 228 * 1024; break;          // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
        case 97: *value = 227 * 1024; break;          // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
        case 115: *value = 1; break;                  // MEMORY_POOLS_SUPPORTED
        default: *value = 0; break;
    }
    return kSuccess;
}

EMU_API int cuDeviceTotalMem_v2(size_t* bytes, int dev)
{
    if (!bytes) return kInvalidValue;
    if (dev != 0) return kInvalidDevice;
    *bytes = 8ull << 30;
    return kSuccess;
}

EMU_API int cuDevicePrimaryCtxRetain(void** ctx, int dev)
{
    if (!ctx) return kInvalidValue;
    if (dev != 0) return kInvalidDevice;
    *ctx = &g_ctx_dummy;
    return kSuccess;
}

EMU_API int cuDevicePrimaryCtxRelease_v2(int dev) { return dev == 0 ? kSuccess : kInvalidDevice; }
EMU_API int cuCtxSetCurrent(void* ctx)
{
    if (ctx != nullptr && ctx != &g_ctx_dummy) return fail(kInvalidContext, "cuCtxSetCurrent: not the emulator's context");
    t_current_ctx = ctx;
    return kSuccess;
}
EMU_API int cuCtxGetCurrent(void** ctx) { if (!ctx) return kInvalidValue; *ctx = t_current_ctx; return kSuccess; }
EMU_API int cuCtxSynchronize()
{
    {
        std::lock_guard<std::mutex> lock(g_state_mutex);
        if (!g_captures.empty()) return fail(kCaptureUnsupported, "cuCtxSynchronize while a stream is capturing");
    }
    return kSuccess;
}

// ---- memory ---------------------------------------------------------------------------------------------------
EMU_API int cuMemAlloc_v2(uintptr_t* dptr, size_t bytes)
{
    if (int rc = forbidden_during_capture("cuMemAlloc")) return rc;
    return mem_alloc(dptr, bytes);
}
EMU_API int cuMemFree_v2(uintptr_t dptr)
{
    if (int rc = forbidden_during_capture("cuMemFree")) return rc;
    return mem_free(dptr);
}
EMU_API int cuMemGetInfo_v2(size_t* free_bytes, size_t* total)
{
    if (!free_bytes || !total) return kInvalidValue;
    std::lock_guard<std::mutex> lock(g_mem_mutex);
    *total = kTotalMemory;
    *free_bytes = kTotalMemory - g_in_use;
    return kSuccess;
}
EMU_API int cuMemcpyHtoD_v2(uintptr_t dst, const void* src, size_t bytes) { return copy_checked("cuMemcpyHtoD", (void*)dst, src, bytes, true, false); }
EMU_API int cuMemcpyDtoH_v2(void* dst, uintptr_t src, size_t bytes) { return copy_checked("cuMemcpyDtoH", dst, (const void*)src, bytes, false, true); }
EMU_API int cuMemcpyDtoD_v2(uintptr_t dst, uintptr_t src, size_t bytes) { return copy_checked("cuMemcpyDtoD", (void*)dst, (const void*)src, bytes, true, true); }
EMU_API int cuMemsetD8_v2(uintptr_t dst, unsigned char value, size_t count)
{
    if (count == 0) return kSuccess;
    if (!is_device_range(dst, count)) return fail(kInvalidValue, "cuMemsetD8: " + describe_pointer(dst) + " + " + std::to_string(count) + " bytes is not inside one device allocation");
    std::memset((void*)dst, value, count);
    return kSuccess;
}

// Stream-ordered allocation: immediate. During capture the block belongs to the graph (freed with it) and a
// cuMemFreeAsync of it inside the capture is a no-op, so replays reuse the same address as CUDA's graph pools do.
EMU_API int cuMemAllocAsync(uintptr_t* dptr, size_t bytes, void* stream)
{
    if (!valid_stream(stream)) return fail(kInvalidHandle, "cuMemAllocAsync: unknown stream");
    Capture* c = capture_of(stream);
    int rc = mem_alloc(dptr, bytes);
    if (rc == kSuccess && c) c->graph->owned->blocks.push_back(*dptr);
    return rc;
}

EMU_API int cuMemFreeAsync(uintptr_t dptr, void* stream)
{
    if (!valid_stream(stream)) return fail(kInvalidHandle, "cuMemFreeAsync: unknown stream");
    if (Capture* c = capture_of(stream))
    {
        for (uintptr_t b : c->graph->owned->blocks)
            if (b == dptr) return kSuccess;
        c->graph->nodes.push_back([dptr] { return mem_free(dptr); });
        return kSuccess;
    }
    return mem_free(dptr);
}

// ---- modules and launches -------------------------------------------------------------------------------------------
EMU_API int cuModuleLoadData(void** module, const void* image)
{
    if (!module || !image) return kInvalidValue;
    const char* text = static_cast<const char*>(image);
    size_t n = strlen(kImageMagic);
    if (strncmp(text, kImageMagic, n) != 0)
        return fail(kInvalidImage, "cuModuleLoadData: the CUDA emulator runs only images from its own NVRTC (\"" + std::string(kImageMagic) +
                                       "...\"), not real PTX/CUBIN; is a kernel cache from a real NVRTC in use?");
    std::string file(text + n);
    if (auto nl = file.find('\n'); nl != std::string::npos) file.resize(nl);
    const FileEntry* f = find_file(file);
    if (!f) return fail(kInvalidImage, "cuModuleLoadData: kernels/" + file + " was not compiled into this emulator (it has: " + registered_files() + ")");
    *module = new Module{f};
    return kSuccess;
}

EMU_API int cuModuleUnload(void* module)
{
    if (!module) return kInvalidHandle;
    delete static_cast<Module*>(module);
    return kSuccess;
}

EMU_API int cuModuleGetFunction(void** function, void* module, const char* name)
{
    if (!function || !module || !name) return kInvalidValue;
    const FileEntry* f = static_cast<Module*>(module)->file;
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->kernels[i].name, name) == 0)
        {
            std::lock_guard<std::mutex> lock(g_module_mutex);
            auto& slot = g_functions[{f, name}];
            if (!slot) slot.reset(new Function{&f->kernels[i], f, 0});
            *function = slot.get();
            return kSuccess;
        }
    return fail(kNotFound, std::string("cuModuleGetFunction: no kernel '") + name + "' in kernels/" + f->file +
                               " (the emulator registers every `extern \"C\" __global__ void NAME(` of the file)");
}

EMU_API int cuFuncSetAttribute(void* function, int attribute, int value)
{
    if (!function) return kInvalidHandle;
    if (attribute == 8) static_cast<Function*>(function)->max_dynamic_shared = value;  // MAX_DYNAMIC_SHARED_SIZE_BYTES
    return kSuccess;
}

EMU_API int cuLaunchKernel(void* function, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared,
                           void* stream, void** args, void** extra)
{
    if (!function) return fail(kInvalidHandle, "cuLaunchKernel: null function");
    auto* fn = static_cast<Function*>(function);
    if (extra) return fail(kInvalidValue, "cuLaunchKernel: `extra` parameter packing is not supported by the emulator");
    if (!args && fn->kernel->nparams > 0) return fail(kInvalidValue, std::string("cuLaunchKernel(") + fn->kernel->name + "): null kernelParams");
    if (!valid_stream(stream)) return fail(kInvalidHandle, "cuLaunchKernel: unknown stream");
    if (shared > 48u * 1024 && (int)shared > fn->max_dynamic_shared)
        return fail(kInvalidValue, std::string("cuLaunchKernel(") + fn->kernel->name + "): " + std::to_string(shared) +
                                       " bytes of dynamic shared memory need cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES) first");
    if (Capture* c = capture_of(stream))
    {
        if (c->invalidated) return fail(kCaptureInvalidated, "cuLaunchKernel on a stream whose capture was invalidated");
        RecordedLaunch r{fn->kernel, fn->file->file.c_str(), dim3(gx, gy, gz), dim3(bx, by, bz), shared, {}};
        for (int i = 0; i < fn->kernel->nparams; i++)
        {
            auto* p = static_cast<unsigned char*>(args[i]);
            r.params.emplace_back(p, p + fn->kernel->sizes[i]);
        }
        c->graph->nodes.push_back(std::move(r));
        return kSuccess;
    }
    return launch(fn->kernel, fn->file->file.c_str(), dim3(gx, gy, gz), dim3(bx, by, bz), shared, args);
}

// ---- streams ----------------------------------------------------------------------------------------------------------
EMU_API int cuStreamCreate(void** stream, unsigned int flags)
{
    if (!stream) return kInvalidValue;
    (void)flags;
    auto* s = new Stream();
    std::lock_guard<std::mutex> lock(g_state_mutex);
    g_streams.insert(s);
    *stream = s;
    return kSuccess;
}

EMU_API int cuStreamDestroy_v2(void* stream)
{
    std::lock_guard<std::mutex> lock(g_state_mutex);
    if (!g_streams.erase(as_stream(stream))) return fail(kInvalidHandle, "cuStreamDestroy: unknown stream");
    delete as_stream(stream);
    return kSuccess;
}

EMU_API int cuStreamSynchronize(void* stream)
{
    if (!valid_stream(stream)) return fail(kInvalidHandle, "cuStreamSynchronize: unknown stream");
    if (Capture* c = capture_of(stream))
    {
        c->invalidated = true;
        return fail(kCaptureUnsupported, "cuStreamSynchronize on a capturing stream: not permitted; the capture is invalidated");
    }
    return kSuccess;
}

EMU_API int cuStreamWaitEvent(void* stream, void* event, unsigned int flags)
{
    (void)flags;
    if (!valid_stream(stream) || !event) return fail(kInvalidHandle, "cuStreamWaitEvent: unknown stream or event");
    // Work is synchronous, so waiting is free; but waiting on an event recorded in a capture joins that capture.
    auto* e = static_cast<Event*>(event);
    std::lock_guard<std::mutex> lock(g_state_mutex);
    if (e->capture && g_captures.count(e->capture) && stream && g_streams.count(as_stream(stream)) && !as_stream(stream)->capture)
    {
        as_stream(stream)->capture = e->capture;
        e->capture->joined.push_back(as_stream(stream));
    }
    return kSuccess;
}

EMU_API int cuStreamBeginCapture_v2(void* stream, int mode)
{
    if (stream == nullptr || stream == (void*)1 || stream == (void*)2) return fail(kCaptureUnsupported, "cuStreamBeginCapture: the legacy stream cannot be captured");
    std::lock_guard<std::mutex> lock(g_state_mutex);
    if (!g_streams.count(as_stream(stream))) return fail(kInvalidHandle, "cuStreamBeginCapture: unknown stream");
    Stream* s = as_stream(stream);
    if (s->capture) return fail(kIllegalState, "cuStreamBeginCapture: the stream is already capturing");
    if (mode < 0 || mode > 2) return fail(kInvalidValue, "cuStreamBeginCapture: mode must be 0 (global), 1 (thread local) or 2 (relaxed)");
    auto* c = new Capture();
    c->mode = mode;
    c->origin = s;
    c->graph = new Graph();
    s->capture = c;
    g_captures.insert(c);
    return kSuccess;
}

EMU_API int cuStreamEndCapture(void* stream, void** graph)
{
    if (!graph) return kInvalidValue;
    std::lock_guard<std::mutex> lock(g_state_mutex);
    if (!stream || !g_streams.count(as_stream(stream))) return fail(kInvalidHandle, "cuStreamEndCapture: unknown stream");
    Stream* s = as_stream(stream);
    Capture* c = s->capture;
    if (!c) return fail(kIllegalState, "cuStreamEndCapture: the stream is not capturing");
    if (c->origin != s) return fail(kCaptureUnmatched, "cuStreamEndCapture: capture must end on the stream that began it");
    s->capture = nullptr;
    for (Stream* j : c->joined)
        if (g_streams.count(j) && j->capture == c) j->capture = nullptr;
    g_captures.erase(c);
    bool invalid = c->invalidated;
    Graph* g = c->graph;
    delete c;
    if (invalid)
    {
        delete g;
        *graph = nullptr;
        return fail(kCaptureInvalidated, "cuStreamEndCapture: the capture was invalidated by an earlier error");
    }
    *graph = g;
    return kSuccess;
}

EMU_API int cuStreamIsCapturing(void* stream, int* status)
{
    if (!status) return kInvalidValue;
    if (!valid_stream(stream)) return fail(kInvalidHandle, "cuStreamIsCapturing: unknown stream");
    Capture* c = capture_of(stream);
    *status = !c ? 0 : c->invalidated ? 2 : 1;  // NONE, ACTIVE, INVALIDATED
    return kSuccess;
}

// ---- graphs -------------------------------------------------------------------------------------------------------------
EMU_API int cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long flags)
{
    (void)flags;
    if (!exec || !graph) return kInvalidValue;
    *exec = new Graph(*static_cast<Graph*>(graph));  // a snapshot of the nodes; shares ownership of graph-allocated blocks
    return kSuccess;
}

EMU_API int cuGraphLaunch(void* exec, void* stream)
{
    if (!exec) return fail(kInvalidHandle, "cuGraphLaunch: null graph exec");
    if (!valid_stream(stream)) return fail(kInvalidHandle, "cuGraphLaunch: unknown stream");
    auto* g = static_cast<Graph*>(exec);
    return record_or_run(stream, [g] {
        for (auto& node : g->nodes)
            if (int rc = node()) return rc;
        return (int)kSuccess;
    });
}

EMU_API int cuGraphExecDestroy(void* exec) { delete static_cast<Graph*>(exec); return kSuccess; }
EMU_API int cuGraphDestroy(void* graph) { delete static_cast<Graph*>(graph); return kSuccess; }

// ---- events -------------------------------------------------------------------------------------------------------------
EMU_API int cuEventCreate(void** event, unsigned int flags)
{
    (void)flags;
    if (!event) return kInvalidValue;
    *event = new Event();
    return kSuccess;
}

EMU_API int cuEventRecord(void* event, void* stream)
{
    if (!event) return fail(kInvalidHandle, "cuEventRecord: null event");
    if (!valid_stream(stream)) return fail(kInvalidHandle, "cuEventRecord: unknown stream");
    auto* e = static_cast<Event*>(event);
    if (Capture* c = capture_of(stream))
    {
        e->capture = c;
        c->graph->nodes.push_back([e] { e->t = std::chrono::steady_clock::now(); e->recorded = true; return (int)kSuccess; });
        return kSuccess;
    }
    e->capture = nullptr;
    e->t = std::chrono::steady_clock::now();
    e->recorded = true;
    return kSuccess;
}

EMU_API int cuEventQuery(void* event) { return event ? kSuccess : kInvalidHandle; }
EMU_API int cuEventSynchronize(void* event) { return event ? kSuccess : kInvalidHandle; }

EMU_API int cuEventElapsedTime(float* ms, void* start, void* end)
{
    if (!ms || !start || !end) return kInvalidValue;
    auto* a = static_cast<Event*>(start);
    auto* b = static_cast<Event*>(end);
    if (!a->recorded || !b->recorded) return fail(kNotReady, "cuEventElapsedTime: an event was not recorded");
    *ms = std::chrono::duration<float, std::milli>(b->t - a->t).count();
    return kSuccess;
}

EMU_API int cuEventDestroy_v2(void* event) { delete static_cast<Event*>(event); return kSuccess; }

// ---- errors -------------------------------------------------------------------------------------------------------------
EMU_API int cuGetErrorName(int error, const char** name)
{
    if (!name) return kInvalidValue;
    *name = error_name(error);
    return *name ? kSuccess : kInvalidValue;
}

EMU_API int cuGetErrorString(int error, const char** text)
{
    if (!text) return kInvalidValue;
    if (const char* m = last_message(error)) { *text = m; return kSuccess; }
    *text = error_text(error);
    return *text ? kSuccess : kInvalidValue;
}
