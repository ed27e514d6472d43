// Shared by the emulator's own translation units (driver, NVRTC, cuBLAS, scheduler); never seen by kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "emu_abi.h"
#include "emu_registry.h"

#define EMU_API extern "C" __attribute__((visibility("default")))

namespace emu
{
// CUresult values the emulator returns (cuda.h numbering).
enum : int
{
    kSuccess = 0, kInvalidValue = 1, kOutOfMemory = 2, kNotInitialized = 3, kInvalidDevice = 101,
    kInvalidImage = 200, kInvalidContext = 201, kInvalidHandle = 400, kIllegalState = 401, kNotFound = 500,
    kNotReady = 600, kIllegalAddress = 700, kLaunchOutOfResources = 701, kLaunchFailed = 719,
    kCaptureUnsupported = 900, kCaptureInvalidated = 901, kCaptureUnmatched = 903, kCaptureWrongThread = 908, kUnknown = 999,
};

// Remember a detailed message for `rc` on this thread (cuGetErrorString returns it) and return rc.
int fail(int rc, const std::string& message);
const char* last_message(int rc);

// Device memory = host memory; every allocation is tracked so copies and kernel pointer arguments can be checked.
bool is_device_range(uintptr_t p, size_t bytes);
std::string describe_pointer(uintptr_t p);
// Whether addr lies in the guard page after an allocation; if so its base and requested size (signal-handler use).
bool guard_hit(uintptr_t addr, uintptr_t* base, size_t* bytes);

// Registry of every kernel file compiled into this library (filled by static initializers of the generated units).
struct FileEntry
{
    std::string file, source;
    const KernelInfo* kernels;
    int count;
};
const FileEntry* find_file(const std::string& file);
const std::string* find_header(const std::string& name);
std::string registered_files();

// Run one kernel synchronously on the calling thread; returns a CUresult (with fail() on error).
int launch(const KernelInfo* k, const char* file, dim3 grid, dim3 block, unsigned dynamic_shared_bytes, void** args);
}
