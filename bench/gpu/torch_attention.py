#!/usr/bin/env python3
"""PyTorch's scaled_dot_product_attention (bf16, its fastest backend on the card) at the shapes and FLOP count of
`engine bench attention`: B=1, H=16, D=128, non-causal; forward 4·H·T²·D FLOPs, backward 2.5× that."""
import sys
import torch
import torch.nn.functional as F
from triton.testing import do_bench

H, D = 16, 128
print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}; B=1 H={H} D={D} causal=False (median of do_bench)")
for T in [int(t) for t in (sys.argv[1:] or ["1024", "2048", "4096", "8192"])]:
    q, k, v = (torch.randn(1, H, T, D, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    fwd_flops = 4.0 * H * T * T * D
    fwd = do_bench(lambda: F.scaled_dot_product_attention(q, k, v), warmup=50, rep=300, return_mode="median")
    o = F.scaled_dot_product_attention(q, k, v)
    g = torch.randn_like(o)
    def fwd_bwd():
        out = F.scaled_dot_product_attention(q, k, v)
        out.backward(g)
    both = do_bench(fwd_bwd, warmup=50, rep=300, grad_to_none=[q, k, v], return_mode="median")
    print(f"attention torch.sdpa fwd      T={T:<6} ms={fwd:9.3f} tflops={fwd_flops / fwd / 1e9:7.2f}")
    print(f"attention torch.sdpa fwd+bwd  T={T:<6} ms={both:9.3f} tflops={3.5 * fwd_flops / both / 1e9:7.2f}")
