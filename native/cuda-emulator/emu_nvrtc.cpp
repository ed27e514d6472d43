// NVRTC on the emulator: the kernels were compiled into this library by build.sh, so "compiling" a program
// checks that its source (and each header) is byte-for-byte the text that was built in, and returns a small
// image naming the file ("ENGINE-EMU kernels/norm.cu") that cuModuleLoadData resolves. A stale build fails
// to compile with a log that says so, instead of silently running old kernel code.
#include <cstdio>
#include <string>
#include <vector>

#include "emu_driver.h"

using namespace emu;

namespace
{
enum : int { kNvrtcSuccess = 0, kNvrtcOutOfMemory = 1, kNvrtcInvalidInput = 3, kNvrtcInvalidProgram = 4, kNvrtcCompilation = 6 };

struct Program
{
    std::string name, source, log, image;
    std::vector<std::pair<std::string, std::string>> headers;
    bool compiled = false;
};

std::string base_name(const std::string& path)
{
    auto slash = path.find_last_of("/\\");
    return slash == std::string::npos ? path : path.substr(slash + 1);
}
}

EMU_API int nvrtcVersion(int* major, int* minor)
{
    if (!major || !minor) return kNvrtcInvalidInput;
    *major = 12;
    *minor = 0;
    return kNvrtcSuccess;
}

EMU_API int nvrtcCreateProgram(void** prog, const char* src, const char* name, int num_headers, const char* const* headers, const char* const* include_names)
{
    if (!prog || !src || num_headers < 0 || (num_headers > 0 && (!headers || !include_names))) return kNvrtcInvalidInput;
    auto* p = new Program();
    p->name = name ? name : "default_program";
    p->source = src;
    for (int i = 0; i < num_headers; i++) p->headers.emplace_back(include_names[i] ? include_names[i] : "", headers[i] ? headers[i] : "");
    *prog = p;
    return kNvrtcSuccess;
}

EMU_API int nvrtcDestroyProgram(void** prog)
{
    if (!prog || !*prog) return kNvrtcInvalidProgram;
    delete static_cast<Program*>(*prog);
    *prog = nullptr;
    return kNvrtcSuccess;
}

EMU_API int nvrtcCompileProgram(void* prog, int num_options, const char* const* options)
{
    (void)num_options;
    (void)options;
    if (!prog) return kNvrtcInvalidProgram;
    auto* p = static_cast<Program*>(prog);
    std::string file = base_name(p->name);
    const FileEntry* f = find_file(file);
    const char* rebuild = " Rebuild the emulator (native/cuda-emulator/build.sh) from the current kernels/.";
    if (!f)
    {
        p->log = "CUDA emulator: kernels/" + file + " is not compiled into this emulator build (it has: " + registered_files() + ")." + rebuild;
        return kNvrtcCompilation;
    }
    if (f->source != p->source)
    {
        p->log = "CUDA emulator: the source of " + file + " differs from the one compiled into this emulator build (stale build)." + rebuild;
        return kNvrtcCompilation;
    }
    for (auto& [hname, htext] : p->headers)
    {
        const std::string* built = find_header(base_name(hname));
        if (built && *built != htext)
        {
            p->log = "CUDA emulator: header " + hname + " differs from the one compiled into this emulator build (stale build)." + rebuild;
            return kNvrtcCompilation;
        }
    }
    p->image = std::string(kImageMagic) + file + "\n";
    p->compiled = true;
    p->log.clear();
    return kNvrtcSuccess;
}

EMU_API int nvrtcGetProgramLogSize(void* prog, size_t* size)
{
    if (!prog || !size) return kNvrtcInvalidInput;
    *size = static_cast<Program*>(prog)->log.size() + 1;
    return kNvrtcSuccess;
}

EMU_API int nvrtcGetProgramLog(void* prog, char* log)
{
    if (!prog || !log) return kNvrtcInvalidInput;
    auto& s = static_cast<Program*>(prog)->log;
    std::memcpy(log, s.c_str(), s.size() + 1);
    return kNvrtcSuccess;
}

static int image_size(void* prog, size_t* size)
{
    if (!prog || !size) return kNvrtcInvalidInput;
    auto* p = static_cast<Program*>(prog);
    if (!p->compiled) return kNvrtcInvalidProgram;
    *size = p->image.size() + 1;
    return kNvrtcSuccess;
}

static int image_copy(void* prog, char* out)
{
    if (!prog || !out) return kNvrtcInvalidInput;
    auto* p = static_cast<Program*>(prog);
    if (!p->compiled) return kNvrtcInvalidProgram;
    std::memcpy(out, p->image.c_str(), p->image.size() + 1);
    return kNvrtcSuccess;
}

EMU_API int nvrtcGetPTXSize(void* prog, size_t* size) { return image_size(prog, size); }
EMU_API int nvrtcGetPTX(void* prog, char* ptx) { return image_copy(prog, ptx); }
EMU_API int nvrtcGetCUBINSize(void* prog, size_t* size) { return image_size(prog, size); }
EMU_API int nvrtcGetCUBIN(void* prog, char* cubin) { return image_copy(prog, cubin); }

EMU_API const char* nvrtcGetErrorString(int result)
{
    switch (result)
    {
        case kNvrtcSuccess: return "NVRTC_SUCCESS";
        case kNvrtcOutOfMemory: return "NVRTC_ERROR_OUT_OF_MEMORY";
        case kNvrtcInvalidInput: return "NVRTC_ERROR_INVALID_INPUT";
        case kNvrtcInvalidProgram: return "NVRTC_ERROR_INVALID_PROGRAM";
        case kNvrtcCompilation: return "NVRTC_ERROR_COMPILATION";
        default: return "NVRTC_ERROR (emulator: unknown code)";
    }
}
