#!/usr/bin/env bash
# One-command GPU run (on the GPU machine, from the repository root, after bench/gpu/publish.sh was run
# where .NET exists and publish/ was carried over): the CUDA parity suite, NCCL in a world of one through the
# trainer's data-parallel path, then the GPU benchmarks, all written into one markdown file
# bench/results/gpu-<date>.md (or under $OUT when set, for the device tool). Every section has its own time limit
# (seconds, environment LIMIT_<SECTION>), so one hang costs one section, not the run.
# Needs: the published engine, the default model's tokenizer folder in $TOKENIZER (default .gpu/default) for the
# NCCL section, python3 with transformers for the last section.
set -uo pipefail
cd "$(dirname "$0")/../.."
engine=$PWD/publish/linux-x64/engine
out_dir=${OUT:-bench/results}
mkdir -p "$out_dir"
md="$out_dir/gpu-$(date -u +%Y-%m-%d).md"
work=$(mktemp -d)
tokenizer=${TOKENIZER:-.gpu/default}

# The CUDA libraries may live in the toolkit, the driver's mount or Python wheels: put each one's folder on the path.
extra=""
for lib in libcuda.so.1 libnvrtc.so.13 libnvrtc-builtins.so.13.0 libcublas.so.13 libcublasLt.so.13 libnccl.so.2; do
  p=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }')
  [ -z "$p" ] && p=$(find /usr/local /opt /usr/lib -name "$lib" 2>/dev/null | head -1)
  echo "$lib: ${p:-not found}"
  [ -n "$p" ] && extra="$extra:$(dirname "$p")"
done > "$work/libs.txt"
export LD_LIBRARY_PATH="${extra#:}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

section() {  # section <title> <limit seconds> <command...>
  local title=$1 limit=$2; shift 2
  echo; echo "## $title"; echo; echo '```'
  local t0=$SECONDS
  timeout -k 5 "$limit" "$@" 2>&1; local rc=$?
  echo "(exit $rc, $((SECONDS - t0)) s$([ $rc = 124 ] && echo ", stopped at the ${limit} s limit"))"
  echo '```'
}

median_step() {  # median optimizer-step seconds (from step 3 on) and median tokens/s of a metrics.jsonl
  python3 - "$1" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l]
dt = [b["elapsed_s"] - a["elapsed_s"] for a, b in zip(rows, rows[1:])][2:]
tps = [r["tokens_per_second"] for r in rows][3:]
print(f"{statistics.median(dt):.4f} s/step, {statistics.median(tps):.0f} tokens/s")
PY
}

nccl_world_of_one() {
  "$engine" init-model --arch qwen2 --hidden 1024 --layers 8 --heads 16 --kv-heads 8 --intermediate 2816 \
    --tokenizer "$tokenizer" --out "$work/model" > /dev/null || return 1
  local args=(sft --model "$work/model" --device cuda --data examples/testbed-sample.jsonl --max-steps 16 --batch-size 8
              --lr 1e-4 --log-steps 1 --max-length 256 --parameter-check-steps 0)
  "$engine" "${args[@]}" --output "$work/local" > "$work/local.log" 2>&1 || { tail -20 "$work/local.log"; return 1; }
  ENGINE_COLLECTIVES=nccl "$engine" "${args[@]}" --output "$work/nccl" > "$work/nccl.log" 2>&1 || { tail -20 "$work/nccl.log"; return 1; }
  grep -h "distributed:" "$work/nccl.log"
  echo "local communicator:        $(median_step "$work/local/metrics.jsonl")"
  echo "NCCL, world of one:        $(median_step "$work/nccl/metrics.jsonl")"
  for f in local nccl; do echo "$f final model sha256: $(sha256sum "$work/$f/model.safetensors" | cut -c1-16)"; done
  cmp -s "$work/local/model.safetensors" "$work/nccl/model.safetensors" && echo "final models: identical bytes" || echo "final models: DIFFER"
}

export engine work tokenizer
export -f median_step nccl_world_of_one

{
  echo "# GPU run $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo '```'
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1 || true
  cat "$work/libs.txt"
  echo '```'
  section "Parity: engine doctor --device cuda" "${LIMIT_DOCTOR:-150}" "$engine" doctor --device cuda
  section "NCCL in a world of one through the data-parallel path (engine sft --device cuda, ENGINE_COLLECTIVES=nccl vs local)" "${LIMIT_NCCL:-120}" bash -c nccl_world_of_one
  section "Flash attention (bf16 tensor cores) vs the f32 kernels: engine bench attention" "${LIMIT_ATTENTION:-60}" "$engine" bench attention --device cuda
  section "Every op case timed: engine bench ops --device cuda" "${LIMIT_OPS:-90}" "$engine" bench ops --device cuda
  section "CUDA plumbing (graph replay, cuBLASLt vs cublasGemmEx): engine bench cuda" "${LIMIT_CUDA:-45}" "$engine" bench cuda
  section "Transformer fixtures against transformers (tests/fixtures/models/compare_transformers.py)" "${LIMIT_COMPARE:-60}" python3 tests/fixtures/models/compare_transformers.py
} 2>&1 | tee "$md"
cp "$work"/*.log "$out_dir"/ 2>/dev/null
echo "wrote $md"
