#!/usr/bin/env bash
# Quiet-machine re-run of the f32 GEMM tables in bench/results/cpu-gemm.md (about 6 minutes). Run from the repo root.
# Needs libopenblas0-pthread for the comparison (Engine never links it). Every block is logged with uptime.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/Engine.Bench -c Release -v q -nologo
B="dotnet bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll"
uptime; lscpu | grep -E 'Model name|CPU family|^Model:|L1d|L2|L3'
for t in 1 2; do uptime; $B gemm-vs-openblas 256 512 1024 2048 --threads $t; done
for t in 1 2; do uptime; $B gemm-vs-openblas --skinny --threads $t; done
# Diagnostics: each route alone vs interleaved with OpenBLAS (whose workers spin for ~2^28 cycles after a call),
# then the same with OpenBLAS's spin cut to 2^17 cycles (about our own workers' wait).
for t in 1 2; do uptime; $B square-probe 256 --threads $t; done
for s in "4096 4096" "11008 4096" "32000 512"; do uptime; $B skinny-probe $s 1 --threads 2; done
uptime; OPENBLAS_THREAD_TIMEOUT=17 $B skinny-probe 4096 4096 1 --threads 2
uptime
