// Driver-side state shared by emu_driver.cpp and the cuBLAS fake: streams, stream capture and graphs.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "emu_internal.h"

namespace emu
{
constexpr const char* kDeviceName = "Engine CPU emulator (not a GPU)";
constexpr const char* kImageMagic = "ENGINE-EMU kernels/";   // what our NVRTC returns as "PTX"/"CUBIN": magic + file name
constexpr int kMultiprocessors = 8;

int mem_alloc(uintptr_t* out, size_t bytes);
int mem_free(uintptr_t p);

// Blocks allocated with cuMemAllocAsync during a capture: they belong to the graph (and every exec made from it).
struct OwnedBlocks
{
    std::vector<uintptr_t> blocks;
    ~OwnedBlocks() { for (uintptr_t b : blocks) mem_free(b); }
};

struct Graph
{
    std::vector<std::function<int()>> nodes;    // run in capture order (a valid topological order: capture is sequential)
    std::shared_ptr<OwnedBlocks> owned = std::make_shared<OwnedBlocks>();
};

struct Stream;
struct Capture
{
    int mode = 0;                // CUstreamCaptureMode: 0 global, 1 thread-local, 2 relaxed
    bool invalidated = false;
    Stream* origin = nullptr;
    std::vector<Stream*> joined; // streams pulled in by cuStreamWaitEvent on an event recorded in this capture
    Graph* graph = nullptr;
};

struct Stream
{
    Capture* capture = nullptr;
};

bool valid_stream(void* s);
Capture* capture_of(void* s);
// Run `op` now, or append it to the graph when `stream` is capturing.
int record_or_run(void* stream, std::function<int()> op);
}
