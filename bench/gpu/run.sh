#!/usr/bin/env bash
# One-command GPU run (on the GPU machine, from the repository root, after bench/gpu/publish.sh was run
# where .NET exists and publish/ was carried over): the CUDA parity suite, then the GPU benchmarks,
# all written into one markdown file bench/results/gpu-<date>.md (or $OUT/ when set, for the device tool).
set -uo pipefail
cd "$(dirname "$0")/../.."
engine=publish/linux-x64/engine
out_dir=${OUT:-bench/results}
mkdir -p "$out_dir"
md="$out_dir/gpu-$(date -u +%Y-%m-%d).md"
{
  echo "# GPU run $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo '```'
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || true
  echo '```'
  echo
  echo "## Parity: engine doctor --device cuda"
  echo
  echo '```'
  "$engine" doctor --device cuda 2>&1; echo "exit $?"
  echo '```'
  echo
  echo "## Flash attention (bf16 tensor cores) vs the f32 kernels: engine bench attention"
  echo '```'
  "$engine" bench attention --device cuda 2>&1
  echo '```'
  echo
  echo "## Every op case timed: engine bench ops --device cuda"
  echo '```'
  "$engine" bench ops --device cuda 2>&1
  echo '```'
  echo
  echo "## CUDA plumbing (graph replay, cuBLASLt vs cublasGemmEx): engine bench cuda"
  echo '```'
  "$engine" bench cuda 2>&1
  echo '```'
  echo
  echo "## Transformer parity against transformers (tests/fixtures/models/compare_transformers.py)"
  echo '```'
  python3 tests/fixtures/models/compare_transformers.py 2>&1 || echo "(compare_transformers.py failed)"
  echo '```'
  echo
  echo "## GEMM (CPU, for reference)"
  echo '```'
  "$engine" bench gemm --size 1024 2>&1
  echo '```'
} | tee "$md"
echo "wrote $md"
