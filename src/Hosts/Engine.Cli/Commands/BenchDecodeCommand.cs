using System.CommandLine;
using System.Diagnostics;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Cli.Commands;

/// <summary>
/// `engine bench decode --model DIR`: batch-1 prefill of one prompt (random tokens) into a KV cache, then greedy decode;
/// prints prefill and decode tokens/s and the per-op breakdown of each phase.
/// </summary>
public static class BenchDecodeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder (config.json + safetensors).", Required = true };
        var prompt = new Option<int>("--prompt") { Description = "Prompt tokens (prefill).", DefaultValueFactory = _ => 256 };
        var tokens = new Option<int>("--tokens") { Description = "Greedy decode steps after the prefill.", DefaultValueFactory = _ => 64 };
        var reps = new Option<int>("--reps") { Description = "Timed repetitions after one warm-up; the best is reported.", DefaultValueFactory = _ => 3 };
        var dtype = new Option<string>("--dtype") { Description = "Weights in memory: f32 or bf16.", DefaultValueFactory = _ => "f32" };
        var threads = new Option<int>("--threads") { Description = "CPU threads (default: ENGINE_THREADS or all cores).", DefaultValueFactory = _ => CpuThreads.Count };
        var cmd = new Command("decode", "Time batch-1 prefill and greedy decode: tokens/s of each and their per-op breakdown.") { model, prompt, tokens, reps, dtype, threads };
        cmd.SetAction(r => Run(r.GetValue(model)!, r.GetValue(prompt), r.GetValue(tokens), r.GetValue(reps), r.GetValue(dtype)!, r.GetValue(threads)));
        return cmd;
    }

    private static int Run(string dir, int prompt, int tokens, int reps, string dtypeText, int threads)
    {
        if (prompt <= 0 || tokens < 0 || reps <= 0 || threads <= 0) { Console.Error.WriteLine("--prompt, --reps and --threads must be positive, --tokens non-negative."); return 2; }
        DType dtype = dtypeText switch { "f32" or "float32" => DType.F32, "bf16" or "bfloat16" => DType.BF16, _ => DType.F16 };
        if (dtype == DType.F16) { Console.Error.WriteLine($"--dtype must be f32 or bf16, got '{dtypeText}'."); return 2; }
        CpuThreads.Count = threads;
        var m = TransformerModel.Load(dir, dtype: dtype);
        var rng = new Random(1);
        var ids = Tensor.FromArray(Enumerable.Range(0, prompt).Select(_ => (long)rng.Next(m.Config.VocabSize)).ToArray(), 1, prompt);
        using var noGrad = Autograd.NoGrad();

        (double Prefill, double Decode) Once(bool clockDecode = false)
        {
            var cache = m.NewCache(1, prompt + tokens);
            var sw = Stopwatch.StartNew();
            var hidden = m.ForwardHidden(ids, cache: cache);
            long next = Argmax(m.Logits(hidden.Narrow(1, prompt - 1, 1).Reshape(1, -1)));
            double prefill = sw.Elapsed.TotalSeconds;
            CpuOpClock.Enabled = clockDecode;
            if (clockDecode) { CpuOpClock.Reset(); sw.Restart(); prefill = 0; }
            for (int i = 0; i < tokens; i++)
            {
                var h = m.ForwardHidden(Tensor.FromArray(new[] { next }, 1, 1), cache: cache);
                next = Argmax(m.Logits(h.Reshape(1, -1)));
            }
            return (prefill, sw.Elapsed.TotalSeconds - prefill);
        }

        BenchReport.Machine(threads);
        Console.WriteLine($"model {dir}: {m.ParameterCount / 1e6:F1}M parameters ({dtype}); prompt {prompt} tokens, then {tokens} greedy tokens, batch 1");
        Once(); // warm-up
        double bestPrefill = double.MaxValue, bestDecode = double.MaxValue, sumPrefill = 0;
        CpuOpClock.Reset();
        for (int i = 0; i < reps; i++)
        {
            CpuOpClock.Enabled = true; // on for the prefill only (Once turns it off before decoding)
            var (p, d) = Once();
            bestPrefill = Math.Min(bestPrefill, p); bestDecode = Math.Min(bestDecode, d); sumPrefill += p;
        }
        Console.WriteLine($"prefill {prompt / bestPrefill:F0} tokens/s ({bestPrefill * 1e3:F1} ms); decode {(tokens == 0 ? 0 : tokens / bestDecode):F1} tokens/s");
        Console.WriteLine("prefill breakdown (mean of the timed runs):");
        BenchReport.Breakdown(sumPrefill, reps, "prefill");
        if (tokens > 0)
        {
            // A separate pass with the op clock on during decode too: ~100 ops per token of a few µs each, so timing
            // them costs a little; the decode tokens/s above come from the passes without it.
            var (_, clocked) = Once(clockDecode: true);
            CpuOpClock.Enabled = false;
            Console.WriteLine($"decode breakdown (one extra pass with the op clock on: {tokens / clocked:F1} tokens/s):");
            BenchReport.Breakdown(clocked, tokens, "token");
        }
        return 0;
    }

    private static long Argmax(Tensor logits)
    {
        var row = logits.To(DType.F32).ToFloatArray();
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
