using System.Diagnostics;
using Engine.Models.Checkpoints.Gguf;
using Engine.Models.Transformer;
using Engine.Runtime;
using Tensor = Engine.Runtime.Tensor;

namespace Engine.Bench;

/// <summary>
/// `llama-vs-engine --model DIR --llama-lib DIR`: the same f32 weights in Engine and in llama.cpp's prebuilt CPU library,
/// same token ids, same thread count, timed call by call in turn (so machine load hits both alike). First checks that
/// llama.cpp's logits match ours at every prompt position (validating the GGUF export and our forward), then times
/// batch-1 prefill (logits of the last position), scoring (logits of every position) and greedy decode.
/// </summary>
internal static class LlamaVsEngine
{
    private const string Usage = "llama-vs-engine --model DIR [--llama-lib DIR (or LLAMA_CPP_LIB)] [--gguf FILE] [--prompt 256] [--tokens 128] [--reps 5] [--threads 2] [--llama-kv f32|f16]";

    public static int Run(string[] args)
    {
        string? Opt(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
        string? model = Opt("--model");
        string? lib = Opt("--llama-lib") ?? Environment.GetEnvironmentVariable("LLAMA_CPP_LIB");
        if (model == null || lib == null) { Console.Error.WriteLine("usage: " + Usage); return 2; }
        int prompt = int.Parse(Opt("--prompt") ?? "256"), tokens = int.Parse(Opt("--tokens") ?? "128");
        int reps = int.Parse(Opt("--reps") ?? "5"), threads = int.Parse(Opt("--threads") ?? "2");
        string gguf = Opt("--gguf") ?? Path.Combine(Path.GetTempPath(), $"engine-{Environment.ProcessId}.f32.gguf");

        CpuThreads.Count = threads;
        var m = TransformerModel.Load(model);
        var sw = Stopwatch.StartNew();
        GgufExport.FromCheckpoint(model, gguf);
        Console.WriteLine($"cpu: {Environment.ProcessorCount} logical cores; threads={threads}; loadavg {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"model {model}: {m.ParameterCount / 1e6:F1}M parameters (f32); GGUF written in {sw.Elapsed.TotalSeconds:F1} s ({new FileInfo(gguf).Length / 1e6:F0} MB)");
        bool f32Cache = (Opt("--llama-kv") ?? "f32") == "f32";
        using var llama = new LlamaCpp(lib, gguf, prompt + tokens, Math.Max(512, prompt), threads, f32Cache);
        if (Opt("--gguf") == null) File.Delete(gguf); // loaded (mmap keeps the pages alive)
        Console.WriteLine($"llama.cpp ({(f32Cache ? "f32" : "f16")} KV cache): {string.Join("; ", LlamaCpp.LogLines)}");
        Console.WriteLine($"llama.cpp system info: {llama.SystemInfo}");
        if (llama.Vocab != m.Config.VocabSize) { Console.Error.WriteLine($"llama.cpp vocabulary {llama.Vocab} ≠ ours {m.Config.VocabSize}"); return 1; }

        var rng = new Random(1);
        var ids = Enumerable.Range(0, prompt).Select(_ => rng.Next(m.Config.VocabSize)).ToArray();
        var idsTensor = Tensor.FromArray(ids.Select(i => (long)i).ToArray(), 1, prompt);
        using var noGrad = Autograd.NoGrad();
        int V = m.Config.VocabSize;

        // Agreement: logits at every position, then the greedy continuations.
        var ours = m.Logits(m.ForwardHidden(idsTensor).Reshape(prompt, -1)).ToFloatArray();
        llama.Reset();
        llama.Decode(ids, allLogits: true);
        var theirs = llama.AllLogits(prompt).ToArray();
        double maxDiff = 0, maxAbs = 0, sq = 0; int sameArgmax = 0;
        for (int t = 0; t < prompt; t++)
        {
            var a = ours.AsSpan(t * V, V); var b = theirs.AsSpan(t * V, V);
            for (int j = 0; j < V; j++) { double d = Math.Abs(a[j] - b[j]); maxDiff = Math.Max(maxDiff, d); maxAbs = Math.Max(maxAbs, Math.Abs(a[j])); sq += d * d; }
            if (Argmax(a) == Argmax(b)) sameArgmax++;
        }
        Console.WriteLine($"logits agreement over {prompt} positions × {V}: max |Δ| {maxDiff:E2} (max |logit| {maxAbs:F2}), rms Δ {Math.Sqrt(sq / ((double)prompt * V)):E2}, same argmax at {sameArgmax}/{prompt}");
        var (_, _, oursSeq) = Ours(m, idsTensor, prompt, tokens);
        var (_, _, theirSeq) = Theirs(llama, ids, tokens);
        int agree = 0; while (agree < tokens && oursSeq[agree] == theirSeq[agree]) agree++;
        Console.WriteLine($"greedy continuation: the first {agree}/{tokens} tokens identical");

        // Timing, interleaved call by call; the first round is a warm-up.
        var rows = new Dictionary<string, List<(double Wall, double Cpu)>>();
        void Add(string k, double wall, double cpu) { if (!rows.TryGetValue(k, out var l)) rows[k] = l = []; l.Add((wall, cpu)); }
        for (int r = 0; r <= reps; r++)
        {
            var c0 = CpuClock.ProcessSeconds(); var w0 = Stopwatch.GetTimestamp();
            var (p, d, _) = Ours(m, idsTensor, prompt, tokens);
            var cpuAll = CpuClock.ProcessSeconds() - c0;
            if (r > 0) { Add("engine prefill", p, double.NaN); Add("engine decode", d, double.NaN); Add("engine prefill+decode", p + d, cpuAll); }
            c0 = CpuClock.ProcessSeconds();
            var (lp, ld, _) = Theirs(llama, ids, tokens);
            cpuAll = CpuClock.ProcessSeconds() - c0;
            if (r > 0) { Add("llama.cpp prefill", lp, double.NaN); Add("llama.cpp decode", ld, double.NaN); Add("llama.cpp prefill+decode", lp + ld, cpuAll); }
            c0 = CpuClock.ProcessSeconds(); w0 = Stopwatch.GetTimestamp();
            m.Logits(m.ForwardHidden(idsTensor).Reshape(prompt, -1));
            if (r > 0) Add("engine scoring", Stopwatch.GetElapsedTime(w0).TotalSeconds, CpuClock.ProcessSeconds() - c0);
            c0 = CpuClock.ProcessSeconds(); w0 = Stopwatch.GetTimestamp();
            llama.Reset(); llama.Decode(ids, allLogits: true);
            if (r > 0) Add("llama.cpp scoring", Stopwatch.GetElapsedTime(w0).TotalSeconds, CpuClock.ProcessSeconds() - c0);
        }
        Console.WriteLine($"prompt {prompt} tokens, {tokens} greedy tokens, batch 1, {reps} interleaved rounds after one warm-up; tokens/s from the best and the median wall time");
        Console.WriteLine($"{"phase",-26} {"best tok/s",11} {"median tok/s",13} {"CPU s/run",10}");
        foreach (var (k, l) in rows)
        {
            int n = k.EndsWith("decode", StringComparison.Ordinal) ? tokens : k.EndsWith("prefill+decode", StringComparison.Ordinal) ? prompt + tokens : prompt;
            var walls = l.Select(x => x.Wall).Order().ToArray();
            double cpu = l.Select(x => x.Cpu).Order().First();
            Console.WriteLine($"{k,-26} {n / walls[0],11:F0} {n / walls[walls.Length / 2],13:F0} {(double.IsNaN(cpu) ? "" : cpu.ToString("F3")),10}");
        }
        double Ratio(string a, string b) => rows[b].Min(x => x.Wall) / rows[a].Min(x => x.Wall);
        Console.WriteLine($"engine ÷ llama.cpp speed (best): prefill {Ratio("engine prefill", "llama.cpp prefill"):F2}×, scoring {Ratio("engine scoring", "llama.cpp scoring"):F2}×, decode {Ratio("engine decode", "llama.cpp decode"):F2}×");
        Console.WriteLine($"loadavg after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>Engine: prefill into a KV cache (last position's logits), then greedy decode; wall seconds of each.</summary>
    private static (double Prefill, double Decode, int[] Seq) Ours(TransformerModel m, Tensor ids, int prompt, int tokens)
    {
        var cache = m.NewCache(1, prompt + tokens);
        var seq = new int[tokens];
        var sw = Stopwatch.StartNew();
        var hidden = m.ForwardHidden(ids, cache: cache);
        int next = Argmax(m.Logits(hidden.Narrow(1, prompt - 1, 1).Reshape(1, -1)).ToFloatArray());
        double prefill = sw.Elapsed.TotalSeconds;
        for (int i = 0; i < tokens; i++)
        {
            seq[i] = next;
            var h = m.ForwardHidden(Tensor.FromArray(new[] { (long)next }, 1, 1), cache: cache);
            next = Argmax(m.Logits(h.Reshape(1, -1)).ToFloatArray());
        }
        return (prefill, sw.Elapsed.TotalSeconds - prefill, seq);
    }

    private static (double Prefill, double Decode, int[] Seq) Theirs(LlamaCpp l, int[] ids, int tokens)
    {
        var seq = new int[tokens];
        var sw = Stopwatch.StartNew();
        l.Reset();
        l.Decode(ids);
        int next = Argmax(l.LastLogits());
        double prefill = sw.Elapsed.TotalSeconds;
        for (int i = 0; i < tokens; i++)
        {
            seq[i] = next;
            l.Decode([next]);
            next = Argmax(l.LastLogits());
        }
        return (prefill, sw.Elapsed.TotalSeconds - prefill, seq);
    }

    private static int Argmax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
