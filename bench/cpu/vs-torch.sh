#!/usr/bin/env bash
# Engine against PyTorch eager on the CPU, same checkpoint, same machine, one run (bench/results/cpu-vs-torch.md):
# batch-1 prefill and greedy decode, and a full fine-tuning step. The PyTorch side is bench/cpu/torch_qwen2.py
# (Debian's python3-torch; transformers' eager Qwen2 written out, since transformers is not packaged for Debian).
# Usage: bench/cpu/vs-torch.sh MODEL_DIR [THREADS...]   (an f32 qwen2 folder; about 4 minutes per thread count for 56M)
set -euo pipefail
model=${1:?usage: $0 MODEL_DIR [THREADS...]}; shift
if [ $# -gt 0 ]; then threads=("$@"); else threads=(2 1); fi
cd "$(dirname "$0")/../.."
PY=${PYTHON:-/usr/bin/python3}
$PY -c 'import torch' 2>/dev/null || { echo "needs PyTorch for $PY (Debian: apt-get install python3-torch)"; exit 1; }
dotnet build src/Hosts/Engine.Cli -c Release -v q >/dev/null
E="dotnet src/Hosts/Engine.Cli/bin/Release/net10.0/engine.dll"
lscpu | grep -E '^(Model name|CPU family|Model|CPU\(s\))'
for t in "${threads[@]}"; do
  echo "== $t threads"; uptime
  $E bench decode --model "$model" --threads "$t" --prompt 256 --tokens 128 --reps 3 | grep -E '^(prefill|decode)'
  # PyTorch's speed here depends on who owns the threads: its own intra-op pool (OpenMP) or the BLAS it calls
  # (Debian's build: generic BLAS = OpenBLAS with its own pthreads). Each split is timed; the table takes its best.
  splits=("$t 1 active"); [ "$t" -gt 1 ] && splits+=("1 $t active" "$t $t passive")
  for split in "${splits[@]}"; do
    set -- $split
    echo "-- torch intra-op threads $1, OPENBLAS_NUM_THREADS=$2, OMP_WAIT_POLICY=$3"
    OMP_NUM_THREADS=$1 OPENBLAS_NUM_THREADS=$2 OMP_WAIT_POLICY=$3 $PY bench/cpu/torch_qwen2.py "$model" "$1" 256 128 3 8 255 3
  done
  $E bench train --model "$model" --threads "$t" --batch 8 --seq 255 --steps 3 --loss-chunk-tokens 0 | grep -E '^step'
  $E bench train --model "$model" --threads "$t" --batch 8 --seq 255 --steps 3 | grep -E '^step'
  uptime
done
