#!/usr/bin/env bash
# Data-parallel SFT on the CPU, 1 process against 2 (MPI), same global batch: median optimizer-step time and tokens/s
# from rank 0's metrics.jsonl (steps 3..N; the first steps warm up). Prints a Markdown table row per world size.
# Usage: bench/distributed/scaling.sh [workdir]   (build first: dotnet build src/Hosts/Engine.Cli -c Release)
# Environment: THREADS per process (default 1), STEPS (default 12), HIDDEN (default 256), LAYERS (default 4).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${1:-$(mktemp -d)}
mkdir -p "$work"
dll=src/Hosts/Engine.Cli/bin/Release/net10.0/engine.dll
threads=${THREADS:-1}; steps=${STEPS:-12}; hidden=${HIDDEN:-256}; layers=${LAYERS:-4}
engine() { dotnet "$dll" "$@"; }

# A model of the default model's tokenizer, bigger than the default so the step is compute-bound.
tok=$(ls -d "$HOME"/.cache/engine/default-* 2>/dev/null | tail -1)
if [ -z "$tok" ]; then engine score --input examples/testbed-sample.jsonl --output "$work/warm.jsonl" --overwrite >/dev/null 2>&1; tok=$(ls -d "$HOME"/.cache/engine/default-* | tail -1); fi
[ -d "$work/model" ] || engine init-model --hidden "$hidden" --layers "$layers" --heads 4 --tokenizer "$tok" --out "$work/model" >/dev/null

args=(sft --model "$work/model" --data examples/testbed-sample.jsonl --max-steps "$steps" --batch-size 4 --grad-accum 4
      --lr 1e-4 --log-steps 1 --max-length 256 --parameter-check-steps 0)
median_step() {  # median of successive elapsed_s differences from step 3 on, and median tokens/s
  python3 - "$1" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l]
dt = [b["elapsed_s"] - a["elapsed_s"] for a, b in zip(rows, rows[1:])][2:]
tps = [r["tokens_per_second"] for r in rows][3:]
print(f"{statistics.median(dt):.3f} {statistics.median(tps):.0f}")
PY
}
echo "uptime: $(uptime)"
echo "| processes | threads each | median step (s) | tokens/s | speed-up |"
echo "|---|---|---|---|---|"
rm -rf "$work/np1" "$work/np2"
ENGINE_THREADS=$threads engine "${args[@]}" --output "$work/np1" >/dev/null 2>&1
read -r t1 k1 < <(median_step "$work/np1/metrics.jsonl")
echo "| 1 | $threads | $t1 | $k1 | 1.00 |"
ENGINE_THREADS=$threads mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 -x ENGINE_THREADS dotnet "$dll" "${args[@]}" --output "$work/np2" >/dev/null 2>&1
read -r t2 k2 < <(median_step "$work/np2/metrics.jsonl")
echo "| 2 | $threads | $t2 | $k2 | $(python3 -c "print(f'{$t1/$t2:.2f}')") |"
rm -rf "$work/np2-after"
ENGINE_THREADS=$threads mpirun --allow-run-as-root --oversubscribe --bind-to none -np 2 -x ENGINE_THREADS dotnet "$dll" "${args[@]}" --overlap-allreduce false --output "$work/np2-after" >/dev/null 2>&1
read -r t3 k3 < <(median_step "$work/np2-after/metrics.jsonl")
echo "| 2, all-reduce after the backward (--overlap-allreduce false) | $threads | $t3 | $k3 | $(python3 -c "print(f'{$t1/$t3:.2f}')") |"
echo "uptime: $(uptime)"
