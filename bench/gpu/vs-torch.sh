#!/usr/bin/env bash
# Engine against PyTorch on the GPU machine, same run (after bench/gpu/publish.sh; TEXTS = a JSONL of long "text"
# records, TOKENIZER = a tokenizer folder): flash attention against torch's scaled_dot_product_attention, and one
# full fine-tuning step of a 302M Qwen2-shaped model (hidden 1536, 12 layers, 12 heads of 128, 4 KV heads, vocab of the
# tokenizer) at batch 8 × 512 tokens: engine sft with the local communicator, engine sft through NCCL in a world of
# one (ENGINE_COLLECTIVES=nccl; buckets overlapped with the backward, and after it), and transformers + torch.optim.AdamW under bf16 autocast. Writes $OUT/vs-torch.md.
set -uo pipefail
cd "$(dirname "$0")/../.."
engine=$PWD/publish/linux-x64/engine
out_dir=${OUT:-bench/results}; mkdir -p "$out_dir"
texts=${TEXTS:-.gpu/texts.jsonl}; tokenizer=${TOKENIZER:-.gpu/default}
steps=${STEPS:-20}; work=$(mktemp -d)
# TOKENIZER: any tokenizer folder; the default model's (~/.cache/engine/default-v2 after one `engine score`) was used.
# TEXTS: made here when missing: 96 records of 900 words drawn (seed 7) from the testbed sample, each over 512 tokens.
[ "${SKIP_ATTENTION:-0}" = 1 ] && skip_attention=1 || skip_attention=0
if [ ! -f "$texts" ]; then
  mkdir -p "$(dirname "$texts")"
  python3 - "$texts" <<'PY'
import json, random, sys
random.seed(7)
rows = [json.loads(l) for l in open("examples/testbed-sample.jsonl")]
words = " ".join(f"{r['instruction']} {r['input']} {r['output']}" for r in rows).split()
with open(sys.argv[1], "w") as f:
    for i in range(96):
        f.write(json.dumps({"id": f"t{i}", "text": " ".join(random.choice(words) for _ in range(900))}) + "\n")
PY
fi
for lib in libnvrtc.so.13 libcublas.so.13 libnccl.so.2; do
  p=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }'); [ -z "$p" ] && p=$(find /usr/local /opt -name "$lib" 2>/dev/null | head -1)
  [ -n "$p" ] && export LD_LIBRARY_PATH="$(dirname "$p")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
median_step() {
  python3 - "$1" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l]
dt = [b["elapsed_s"] - a["elapsed_s"] for a, b in zip(rows, rows[1:])][2:]
print(f"{statistics.median(dt):.4f} s/step, {8 * 512 / statistics.median(dt):.0f} tokens/s (loss {rows[-1]['loss']:.3f})")
PY
}
{
  echo "# Engine vs PyTorch on $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo; echo '## Attention, bf16, B=1 H=16 D=128, non-causal'; echo; echo '```'
  if [ $skip_attention = 0 ]; then
    timeout 90 "$engine" bench attention --device cuda --f32-max-t 0 2>&1 | grep -v "f32"
    timeout 90 python3 bench/gpu/torch_attention.py 2>&1
  fi
  echo '```'
  echo; echo "## Full fine-tuning step, 302M Qwen2 shape, batch 8 × 512 tokens, bf16 autocast, $steps steps (median from step 3)"; echo; echo '```'
  timeout 60 "$engine" init-model --arch qwen2 --hidden 1536 --layers 12 --heads 12 --kv-heads 4 --intermediate 4096 \
     --tokenizer "$tokenizer" --out "$work/model" > /dev/null
  args=(sft --model "$work/model" --device cuda --data "$texts" --max-steps "$steps" --batch-size 8 --lr 1e-4 --log-steps 1
        --max-length 512 --parameter-check-steps 0)
  timeout 150 "$engine" "${args[@]}" --output "$work/local" > "$out_dir/sft-local.log" 2>&1 && echo "engine sft, local:          $(median_step "$work/local/metrics.jsonl")" || { echo "engine sft failed:"; tail -15 "$out_dir/sft-local.log"; }
  ENGINE_COLLECTIVES=nccl timeout 150 "$engine" "${args[@]}" --output "$work/nccl" > "$out_dir/sft-nccl.log" 2>&1 && echo "engine sft, NCCL world 1:   $(median_step "$work/nccl/metrics.jsonl")" || { echo "engine sft (nccl) failed:"; tail -15 "$out_dir/sft-nccl.log"; }
  ENGINE_COLLECTIVES=nccl timeout 150 "$engine" "${args[@]}" --overlap-allreduce false --output "$work/nccl-after" > "$out_dir/sft-nccl-after.log" 2>&1 && echo "engine sft, NCCL world 1, all-reduce after the backward: $(median_step "$work/nccl-after/metrics.jsonl")" || { echo "engine sft (nccl, no overlap) failed:"; tail -15 "$out_dir/sft-nccl-after.log"; }
  for f in nccl nccl-after; do cmp -s "$work/local/model.safetensors" "$work/$f/model.safetensors" && echo "final models local vs $f: identical bytes" || echo "final models local vs $f: DIFFER"; done
  timeout 150 python3 bench/gpu/torch_sft.py "$work/model" "$texts" "$steps" 8 512 2>&1 | grep -v "Loading weights"
  echo '```'
  nvidia-smi --query-gpu=memory.used,clocks.sm --format=csv,noheader
} 2>&1 | tee "$out_dir/vs-torch.md"
