// Stream-ordered driver calls the engine's stream/graph plumbing binds (src/Runtime/Cuda/Native/CudaDriver.cs) beyond
// emu_driver.cpp: cuStreamQuery and cuMemsetD8Async. Every emulated stream is synchronous, so a query finds it idle,
// and an async memset runs at once, or is recorded into the graph when its stream is capturing, like a launch.
#include <string>

#include "emu_driver.h"

using namespace emu;

extern "C" int cuMemsetD8_v2(uintptr_t dst, unsigned char value, size_t count);

EMU_API int cuStreamQuery(void* stream)
{
    if (!valid_stream(stream)) return fail(kInvalidHandle, "cuStreamQuery: unknown stream");
    // CUDA: querying a capturing stream is not permitted (cudaErrorStreamCaptureUnsupported).
    if (capture_of(stream)) return fail(kCaptureUnsupported, "cuStreamQuery on a capturing stream: not permitted");
    return kSuccess;
}

EMU_API int cuMemsetD8Async(uintptr_t dst, unsigned char value, size_t count, void* stream)
{
    if (!valid_stream(stream)) return fail(kInvalidHandle, "cuMemsetD8Async: unknown stream");
    if (count != 0 && !is_device_range(dst, count))
        return fail(kInvalidValue, "cuMemsetD8Async: " + describe_pointer(dst) + " + " + std::to_string(count) + " bytes is not inside one device allocation");
    return record_or_run(stream, [=] { return cuMemsetD8_v2(dst, value, count); });
}
