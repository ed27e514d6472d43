using BenchmarkDotNet.Running;

// Every [Benchmark] class in this assembly, chosen with --filter (e.g. --filter '*Attention*').
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
