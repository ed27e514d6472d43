#!/usr/bin/env bash
# Build libengine_cuda_emu.so: the CPU emulator of the CUDA driver, NVRTC and cuBLAS, with every
# kernels/*.cu compiled in as plain C++ (force-including emu_runtime.h). Needs only bash and g++.
#   native/cuda-emulator/build.sh <outdir>        → <outdir>/libengine_cuda_emu.so
# Environment: CXX (default g++), ENGINE_KERNELS_DIR (default <repo>/kernels), JOBS (default nproc).
set -euo pipefail

out=${1:?usage: build.sh <outdir>}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernels=$(cd "${ENGINE_KERNELS_DIR:-$here/../../kernels}" && pwd)
cxx=${CXX:-g++}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
command -v "$cxx" >/dev/null || { echo "build.sh: $cxx not found (the CUDA emulator needs g++: apt-get install g++)" >&2; exit 2; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/obj"

base=(-std=c++17 -O2 -g -fPIC -fvisibility=hidden -fvisibility-inlines-hidden)
# GPUs fuse a*b+c into one FMA (NVRTC's default --fmad=true) and cuBLAS accumulates with FMA: do the same where this
# CPU has FMA, so rounding resembles the GPU's (ENGINE_EMU_FMA=0 turns it off). The library then needs an FMA CPU.
if [ "${ENGINE_EMU_FMA:-1}" != 0 ] && { [ "$(uname -m)" = aarch64 ] || grep -qw fma /proc/cpuinfo 2>/dev/null; }; then
    [ "$(uname -m)" = x86_64 ] && base+=(-mfma)
    base+=(-ffp-contract=fast)
fi
# Kernel code is CUDA C++ compiled as host C++: CUDA's pointer punning and wrapping integer math must not be
# treated as undefined behaviour by the optimizer. Warnings are off for kernels only (CUDA idioms trip them).
kflags=("${base[@]}" -fno-strict-aliasing -fwrapv -w -x c++ -include "$here/emu_runtime.h" -I "$work/src" -I "$here")
eflags=("${base[@]}" -Wall -Wextra -I "$here")

# `extern __shared__ T name[];` (dynamic shared memory) becomes a pointer to the launch's buffer;
# `#line` keeps diagnostics and debug info pointing at the original file.
prep() { # prep <src> <dst>
    { printf '#line 1 "%s"\n' "$1"
      sed -E 's/extern[[:space:]]+__shared__[[:space:]]+(__align__\([0-9]+\)[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)*)[[:space:]]+([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\[[[:space:]]*\][[:space:]]*;/\2* \4 = (\2*)::emu::dynamic_shared();/' "$1"
    } >"$2"
}

# Raw-string literal of a file's exact text (NVRTC checks sources against it to catch a stale build).
raw() { printf 'R"EMU_SRC_%s(' "$2"; cat "$1"; printf ')EMU_SRC_%s"' "$2"; }

units=()
for h in "$kernels"/*.cuh; do
    [ -e "$h" ] || continue
    n=$(basename "$h")
    prep "$h" "$work/src/$n"
    id=$(echo "$n" | tr -c 'A-Za-z0-9_\n' '_')
    { echo '#include "emu_registry.h"'
      printf 'static ::emu::HeaderRegistrar emu_header_%s("%s", ' "$id" "$n"; raw "$h" x; echo ');'
    } >"$work/hdr_$id.cpp"
    units+=("e:$work/hdr_$id.cpp")
done

for f in "$kernels"/*.cu; do
    n=$(basename "$f")
    id=$(echo "$n" | tr -c 'A-Za-z0-9_\n' '_')
    prep "$f" "$work/src/$n"
    # Kernel names: `extern "C" __global__ <words> NAME(` on one line, after dropping __launch_bounds__(...) (so a
    # macro like FA_BOUNDS between __global__ and the name is fine). The object's symbols are checked against it below.
    names=$(sed -E 's/__launch_bounds__[[:space:]]*\([^)]*\)//g' "$f" \
            | grep -oE 'extern[[:space:]]+"C"[[:space:]]+__global__([[:space:]]+[A-Za-z_][A-Za-z0-9_]*)+[[:space:]]*\(' \
            | sed -E 's/.*[[:space:]]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\($/\1/' || true)
    echo "$names" >"$work/names_$id.txt"
    { printf '#include "%s"\n#include "emu_registry.h"\n' "$work/src/$n"
      echo "static const ::emu::KernelInfo emu_kernels_$id[] = {"
      for k in $names; do echo "    EMU_KERNEL($k),"; done
      echo "    {nullptr, nullptr, 0, nullptr, nullptr}};"
      printf 'static ::emu::FileRegistrar emu_file_%s("%s", ' "$id" "$n"; raw "$f" x
      echo ", emu_kernels_$id, $(echo "$names" | grep -c . || true));"
    } >"$work/reg_$id.cpp"
    units+=("k:$work/reg_$id.cpp")
done

# ENGINE_EMU_CORE_CACHE: a folder for the emulator's own objects, reused by builds with other kernel sets. The caller
# must key it by the contents of this folder (flags live in this script, so they are part of that key).
core=${ENGINE_EMU_CORE_CACHE:-}
[ -n "$core" ] && mkdir -p "$core"
for s in "$here"/emu_*.cpp; do
    if [ -n "$core" ] && [ -e "$core/$(basename "${s%.cpp}").o" ]; then cp "$core/$(basename "${s%.cpp}").o" "$work/obj/"; else units+=("e:$s"); fi
done

pids=()
for u in "${units[@]}"; do
    kind=${u%%:*}; src=${u#*:}; obj="$work/obj/$(basename "${src%.cpp}").o"
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    if [ "$kind" = k ]; then "$cxx" "${kflags[@]}" -c "$src" -o "$obj" || touch "$work/failed" &
    else "$cxx" "${eflags[@]}" -c "$src" -o "$obj" || touch "$work/failed" &
    fi
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
[ -e "$work/failed" ] && { echo "build.sh: compilation failed (see above)" >&2; exit 1; }

# Every extern "C" function a kernel file defines must be registered (else cuModuleGetFunction could not find it).
for n in "$work"/names_*.txt; do
    id=$(basename "${n%.txt}"); id=${id#names_}
    missing=$(nm -g --defined-only "$work/obj/reg_$id.o" | awk '$2 == "T" && $3 !~ /^_Z/ { print $3 }' | grep -vxFf "$n" || true)
    [ -z "$missing" ] || { echo "build.sh: kernels/${id%_cu}.cu defines extern \"C\" function(s) not found as 'extern \"C\" __global__ ... NAME(' on one line: $missing" >&2; exit 1; }
done
if [ -n "$core" ]; then
    for s in "$here"/emu_*.cpp; do
        o="$(basename "${s%.cpp}").o"
        [ -e "$core/$o" ] || { cp "$work/obj/$o" "$core/$o.$$" && mv -f "$core/$o.$$" "$core/$o"; }
    done
fi

# Export exactly the CUDA/NVRTC/cuBLAS entry points (nothing from libstdc++ templates or the kernels).
printf '{ global: cu*; nvrtc*; cublas*; local: *; };\n' >"$work/exports.map"
"$cxx" -shared -g -o "$work/libengine_cuda_emu.so" "$work"/obj/*.o -Wl,--no-undefined -Wl,--version-script="$work/exports.map" -lm
mv -f "$work/libengine_cuda_emu.so" "$out/libengine_cuda_emu.so"
echo "built $out/libengine_cuda_emu.so ($(ls "$kernels"/*.cu | wc -l) kernel files)"
