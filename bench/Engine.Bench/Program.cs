using BenchmarkDotNet.Running;
using Engine.Bench;

// Console comparisons (interleaved call by call, or in blocks with idle gaps against OpenBLAS: see BlockTiming):
//   gemm-vs-openblas [sizes...] [--threads T]   ours vs OpenBLAS sgemm
//   gemm-bf16 [n or MxNxK...] [--threads T]     bf16-weight entry (VDPBF16PS GEMM) vs our f32 GEMM, memory bandwidth, bf16 GEMV (one W, cached)
//   gemm-bf16-parts [sizes...]                  one thread: bf16 and f32 GEMM calls split into A packing, B packing, the rest
//   gemv-roofline [N K] [--bf16-prefetch D,..]  batch-1 GEMV (bf16 and f32 W, 256 MiB of copies: from DRAM) vs copy/triad bandwidth, 1 and 2 threads
//   gemm-vs-openblas --skinny [--threads T]     decode shapes (M = 1–8, x·Wᵀ) vs OpenBLAS sgemm / sgemv
//   attention-profile                           attention phases and building blocks (Stopwatch)
//   skinny-probe N K [M] [--threads T]          one decode shape: each route alone, then interleaved with sgemv
//   skinny-blocks N K [--threads T]             one M = 1 shape timed in blocks as in the skinny table, route by route and gap by gap
//   square-probe [n] [--threads T]              one small square GEMM: whole call vs its packing steps vs OpenBLAS
//   kernel-peak | variants                      GEMM microkernel studies
//   llama-vs-engine --model DIR --llama-lib DIR  batch-1 prefill/scoring/decode vs llama.cpp, same f32 weights
// Anything else goes to BenchmarkDotNet: every [Benchmark] class here, chosen with --filter (e.g. --filter '*Attention*').
if (args.Length > 0 && args[0] == "attention-profile") return AttentionProfile.Run();
if (args.Length > 0 && args[0] == "kernel-peak") return KernelPeak.Run();
if (args.Length > 0 && args[0] == "variants") return Engine.Bench.Variants.VariantBench.Run(args);
if (args.Length > 0 && args[0] == "llama-vs-engine") return LlamaVsEngine.Run(args);
if (args.Length > 0 && args[0] == "gemm-vs-openblas") return GemmVsOpenBlas.Run(args);
if (args.Length > 0 && args[0] == "skinny-probe") return GemmSkinnyProbe.Run(args);
if (args.Length > 0 && args[0] == "skinny-blocks") return SkinnyBlocksProbe.Run(args);
if (args.Length > 0 && args[0] == "square-probe") return GemmSmallSquareProbe.Run(args);
if (args.Length > 0 && args[0] == "gemv-roofline") return GemvRoofline.Run(args);
if (args.Length > 0 && args[0] == "gemm-bf16") return Bf16VsF32.Run(args);
if (args.Length > 0 && args[0] == "gemm-bf16-parts") return Bf16Parts.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);
return 0;
