using BenchmarkDotNet.Running;
using Engine.Bench;

// `gemm-vs-openblas [sizes...] [--threads T]`: interleaved console comparison; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "kernel-peak") return KernelPeak.Run();
if (args.Length > 0 && args[0] == "variants") return Engine.Bench.Variants.VariantBench.Run(args);
if (args.Length > 0 && args[0] == "gemm-vs-openblas") return GemmVsOpenBlas.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(GemmBenchmarks).Assembly).Run(args);
return 0;
