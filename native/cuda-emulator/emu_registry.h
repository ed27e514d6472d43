// Included by the generated per-file registration units (see build.sh) after the kernel source itself:
// a typed launcher per kernel that unpacks cuLaunchKernel's `void** args` by deduction on the kernel's type.
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

namespace emu
{
typedef void (*LaunchFn)(void** args);

struct KernelInfo
{
    const char* name;
    LaunchFn run;
    int nparams;
    const unsigned* sizes;          // sizeof each parameter
    const unsigned char* is_ptr;    // 1 where the parameter is a pointer (checked against device allocations)
};

// Registers one kernels/*.cu file: its name, its exact source text (to detect a stale emulator build) and kernels.
struct FileRegistrar { FileRegistrar(const char* file, const char* source, const KernelInfo* kernels, int count); };
// Registers one kernels/*.cuh header's exact text.
struct HeaderRegistrar { HeaderRegistrar(const char* name, const char* source); };

template <class T> inline T load_arg(void* p) { T v; std::memcpy(&v, p, sizeof(T)); return v; }

template <class F> struct Launcher;
template <class... A> struct Launcher<void (*)(A...)>
{
    static constexpr int nparams = sizeof...(A);
    static constexpr unsigned sizes[sizeof...(A) + 1] = {(unsigned)sizeof(A)..., 0u};
    static constexpr unsigned char is_ptr[sizeof...(A) + 1] = {(unsigned char)std::is_pointer<A>::value..., 0};
    template <void (*F)(A...), std::size_t... I> static void call(void** a, std::index_sequence<I...>) { (void)a; F(load_arg<A>(a[I])...); }
    template <void (*F)(A...)> static void run(void** a) { call<F>(a, std::index_sequence_for<A...>{}); }
};
}

#define EMU_KERNEL(name)                                                                                  \
    { #name, &::emu::Launcher<decltype(&name)>::template run<&name>, ::emu::Launcher<decltype(&name)>::nparams, \
      ::emu::Launcher<decltype(&name)>::sizes, ::emu::Launcher<decltype(&name)>::is_ptr }
