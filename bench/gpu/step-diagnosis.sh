#!/usr/bin/env bash
# (TOKENIZER and TEXTS as in vs-torch.sh, which makes TEXTS; run it first.)
# Where the engine's GPU SFT step goes: host-bound or device-bound? Same 302M model as vs-torch.sh, batch 8 and 16,
# with the process's CPU time against wall time, and nvidia-smi's utilisation sampled during the run.
cd "$(dirname "$0")/../.."
engine=$PWD/publish/linux-x64/engine; work=$(mktemp -d)
for lib in libnvrtc.so.13 libcublas.so.13 libnccl.so.2; do
  p=$(ldconfig -p | awk -v l="$lib" '$1 == l { print $NF; exit }'); [ -z "$p" ] && p=$(find /usr/local /opt -name "$lib" 2>/dev/null | head -1)
  [ -n "$p" ] && export LD_LIBRARY_PATH="$(dirname "$p")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
"$engine" init-model --arch qwen2 --hidden 1536 --layers 12 --heads 12 --kv-heads 4 --intermediate 4096 --tokenizer "${TOKENIZER:-.gpu/default}" --out "$work/model" > /dev/null
for b in 8 16; do
  nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits -lms 200 > "$work/util$b.txt" & smi=$!
  python3 -c 'import resource, subprocess, sys, time
t = time.time(); subprocess.run(sys.argv[2:], stdout=open(sys.argv[1] + ".log", "w"), stderr=open(sys.argv[1] + ".err", "w"))
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"wall {time.time() - t:.1f} s, user {r.ru_utime:.1f} s, sys {r.ru_stime:.1f} s (whole process, start and kernel compilation included)")' "$work/b$b" "$engine" sft --model "$work/model" --device cuda --data "${TEXTS:-.gpu/texts.jsonl}" \
    --max-steps 20 --batch-size $b --lr 1e-4 --log-steps 1 --max-length 512 --parameter-check-steps 0 --output "$work/b$b"
  kill $smi; tail -1 "$work/b$b.err"
  python3 - "$work/b$b/metrics.jsonl" "$work/util$b.txt" $b <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l]
dt = [b["elapsed_s"] - a["elapsed_s"] for a, b in zip(rows, rows[1:])][2:]
u = [int(x) for x in open(sys.argv[2]).read().split() if x.strip().isdigit()]
busy = [x for x in u if x > 0]
print(f"batch {sys.argv[3]}: median step {statistics.median(dt):.4f} s; GPU utilisation samples: median {statistics.median(busy) if busy else 0}% over {len(busy)} busy of {len(u)}")
PY
done
