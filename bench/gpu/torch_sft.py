#!/usr/bin/env python3
"""The step `engine sft --device cuda` takes, in PyTorch + transformers: full fine-tuning of the same HF folder on the
same "text" records, every sequence truncated to the same length (so no padding on either side), AdamW (torch's
default foreach implementation), clipping at 1.0, bf16 autocast over f32 master weights (what engine's
--precision auto is on CUDA). Prints the median step time from step 3 on and tokens/s.
Usage: torch_sft.py MODEL_DIR DATA.jsonl STEPS BATCH MAX_LENGTH"""
import json, statistics, sys, time
import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM

folder, data, steps, batch, max_len = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
tok = Tokenizer.from_file(f"{folder}/tokenizer.json")
seqs = [tok.encode(json.loads(l)["text"]).ids[:max_len] for l in open(data)]
seqs = [s for s in seqs if len(s) == max_len]
assert len(seqs) >= batch, f"only {len(seqs)} records reach {max_len} tokens"
model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="sdpa").cuda().train()
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)
g = torch.Generator().manual_seed(42)
times = []
for step in range(steps):
    idx = torch.randperm(len(seqs), generator=g)[:batch]
    ids = torch.tensor([seqs[i] for i in idx], device="cuda")
    torch.cuda.synchronize(); t0 = time.perf_counter()
    with torch.autocast("cuda", dtype=torch.bfloat16):
        loss = model(input_ids=ids, labels=ids).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step(); opt.zero_grad(set_to_none=True)
    torch.cuda.synchronize(); times.append(time.perf_counter() - t0)
med = statistics.median(times[2:])
print(f"torch {torch.__version__}: {med:.4f} s/step, {batch * max_len / med:.0f} tokens/s (loss {loss.item():.3f})")
