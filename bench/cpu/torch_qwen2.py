#!/usr/bin/env python3
"""PyTorch eager on the CPU, the side of bench/cpu/vs-torch.sh: a Qwen2 checkpoint folder (f32 safetensors) run as
transformers' eager Qwen2 runs it (matmul attention with a causal mask, RoPE, GQA by repeating K/V, RMSNorm, SiLU MLP),
written out here because transformers is not packaged for Debian. Three timings, each the best of REPS after one warm-up:
  prefill  batch-1 forward of one PROMPT-token prompt into a KV cache (and the last position's logits);
  decode   TOKENS greedy steps after it, one token at a time against the cache;
  train    full fine-tuning steps of BATCH x SEQ random tokens: mean cross-entropy over every position, backward,
           clipping to norm 1, torch.optim.AdamW (its default implementation) — what `engine bench train` times.
Usage: torch_qwen2.py MODEL_DIR THREADS [PROMPT TOKENS REPS BATCH SEQ TRAIN_STEPS]"""
import json, math, struct, sys, time
import numpy as np
import torch
import torch.nn.functional as F

folder, threads = sys.argv[1], int(sys.argv[2])
prompt, tokens, reps, batch, seq, train_steps = (int(a) for a in (sys.argv[3:9] + ["256", "128", "3", "8", "255", "3"][len(sys.argv[3:9]):]))
torch.set_num_threads(threads)
torch.manual_seed(1)
c = json.load(open(f"{folder}/config.json"))


def load_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__": continue
        assert info["dtype"] == "F32", f"{name}: only f32 checkpoints ({info['dtype']})"
        a, b = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(raw, dtype=np.float32, count=(b - a) // 4, offset=8 + n + a).reshape(info["shape"]).copy())
    return out


w = {k: torch.nn.Parameter(v) for k, v in load_safetensors(f"{folder}/model.safetensors").items()}
H, L = c["hidden_size"], c["num_hidden_layers"]
nq, nkv = c["num_attention_heads"], c["num_key_value_heads"]
d = c.get("head_dim") or H // nq
eps = c["rms_norm_eps"]
head = w["model.embed_tokens.weight"] if c["tie_word_embeddings"] else w["lm_head.weight"]
inv = 1.0 / (c.get("rope_theta", 10000.0) ** (torch.arange(0, d, 2, dtype=torch.float32) / d))


def rms(x, g): return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * g
def rot(x): a, b = x.chunk(2, dim=-1); return torch.cat((-b, a), dim=-1)
def lin(x, p, name):
    b = w.get(p + name + ".bias")
    return F.linear(x, w[p + name + ".weight"], b)


def forward(ids, start=0, cache=None):
    """ids [B, T] at positions start..start+T-1; cache: per layer [k, v] of earlier positions (extended in place)."""
    B, T = ids.shape
    pos = torch.arange(start, start + T, dtype=torch.float32)
    emb = torch.cat([torch.outer(pos, inv)] * 2, dim=-1)
    cos, sin = emb.cos(), emb.sin()
    x = F.embedding(ids, w["model.embed_tokens.weight"])
    total = start + T
    mask = torch.full((T, total), float("-inf")).triu(start + 1) if T > 1 else None
    for i in range(L):
        p = f"model.layers.{i}."
        y = rms(x, w[p + "input_layernorm.weight"])
        q = lin(y, p, "self_attn.q_proj").view(B, T, nq, d).transpose(1, 2)
        k = lin(y, p, "self_attn.k_proj").view(B, T, nkv, d).transpose(1, 2)
        v = lin(y, p, "self_attn.v_proj").view(B, T, nkv, d).transpose(1, 2)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        if cache is not None:
            if len(cache) <= i: cache.append([k, v])
            else: cache[i][0] = k = torch.cat((cache[i][0], k), dim=2); cache[i][1] = v = torch.cat((cache[i][1], v), dim=2)
        k, v = k.repeat_interleave(nq // nkv, dim=1), v.repeat_interleave(nq // nkv, dim=1)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        if mask is not None: s = s + mask
        o = (torch.softmax(s, dim=-1) @ v).transpose(1, 2).reshape(B, T, nq * d)
        x = x + lin(o, p, "self_attn.o_proj")
        y = rms(x, w[p + "post_attention_layernorm.weight"])
        x = x + lin(F.silu(lin(y, p, "mlp.gate_proj")) * lin(y, p, "mlp.up_proj"), p, "mlp.down_proj")
    return rms(x, w["model.norm.weight"])


def best(f):
    f()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); times.append(time.perf_counter() - t0)
    return min(times)


ids = torch.randint(0, c["vocab_size"], (1, prompt))
state = {}
def prefill():
    with torch.no_grad():
        cache = []
        h = forward(ids, 0, cache)
        state["next"] = F.linear(h[:, -1], head).argmax(-1, keepdim=True)
        state["cache"] = cache
def decode():
    with torch.no_grad():
        cache = [[k.clone(), v.clone()] for k, v in state["cache"]]
        nxt = state["next"]
        for s in range(tokens):
            h = forward(nxt, prompt + s, cache)
            nxt = F.linear(h[:, -1], head).argmax(-1, keepdim=True)
t_pre = best(prefill)
t_dec = best(decode) if tokens > 0 else float("nan")
print(f"torch {torch.__version__} eager, {threads} threads: prefill {prompt} tokens {t_pre:.4f} s = {prompt / t_pre:.1f} tok/s; "
      f"decode {tokens} tokens {t_dec:.4f} s = {tokens / t_dec:.1f} tok/s")

if train_steps > 0:
    params = list(dict.fromkeys(w.values()))
    opt = torch.optim.AdamW(params, lr=1e-5, weight_decay=0.0)
    data = torch.randint(0, c["vocab_size"], (batch, seq + 1))
    def step():
        logits = F.linear(forward(data[:, :-1]), head)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), data[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step(); opt.zero_grad(set_to_none=True)
    step()
    times = []
    for _ in range(train_steps):
        t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
    mean = sum(times) / len(times)
    print(f"torch train step {batch} x {seq}: {mean:.3f} s mean of {train_steps} (min {min(times):.3f}) = {batch * seq / mean:.0f} tok/s")
