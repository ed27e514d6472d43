using System.CommandLine;
using System.Globalization;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Cli.Commands;

/// <summary>`engine testbed make|list|score`: verifiable instruction data with controlled noise, and scoring of selections.</summary>
public static class TestbedCommand
{
    public static Command Create()
    {
        var testbed = new Command("testbed", "Generate verifiable instruction data with controlled noise, and score data-selection methods against it.");
        testbed.Subcommands.Add(Make());
        testbed.Subcommands.Add(List());
        testbed.Subcommands.Add(Score());
        testbed.Subcommands.Add(TestbedEvalCommand.Create());
        return testbed;
    }

    private static Command Make()
    {
        var tasks = new Option<string>("--tasks") { Description = "Comma list of families and/or domains, or 'all' (see `engine testbed list`).", DefaultValueFactory = _ => "all" };
        var n = new Option<int>("--n") { Description = "Number of records.", DefaultValueFactory = _ => 1000 };
        var noise = new Option<double>("--noise") { Description = "Fraction of corrupted records; exactly round(n*noise) are.", DefaultValueFactory = _ => 0.0 };
        var kinds = new Option<string?>("--noise-kinds") { Description = "Comma list of wrong_answer, logic_error, hallucination, truncated, off_topic (default: all; logic_error only with --cot)." };
        var difficulty = new Option<string>("--difficulty") { Description = "Difficulty level N or range N-M within 1-3.", DefaultValueFactory = _ => "1" };
        var cot = new Option<bool>("--cot") { Description = "Include chain-of-thought lines before the answer line." };
        var length = new Option<string>("--length") { Description = "Response length: short, medium or long.", DefaultValueFactory = _ => "short" };
        var format = new Option<string>("--format") { Description = "alpaca, chat, preference or kto.", DefaultValueFactory = _ => "alpaca" };
        var split = new Option<string>("--split") { Description = "train or test (disjoint prompt sets, by stable hash).", DefaultValueFactory = _ => "train" };
        var testFraction = new Option<double>("--test-fraction") { Description = "Share of the prompt space reserved for the test split.", DefaultValueFactory = _ => 0.1 };
        var seed = new Option<ulong>("--seed") { Description = "Seed; the same seed gives byte-identical output.", DefaultValueFactory = _ => 1UL };
        var output = new Option<string>("--out") { Description = "Output JSONL file.", Required = true };
        var key = new Option<string?>("--key") { Description = "Also write a key file (id, corrupted, corruption, task, answer) for scoring." };
        var hide = new Option<bool>("--hide") { Description = "Leave the hidden fields (answer, meta) out of --out; keep them in --key." };
        var weights = new Option<string?>("--weights") { Description = "Unequal family sizes: comma list of family=weight (e.g. syllogism=5,arith=1); families not named weigh 1. Default: balanced." };
        var framings = new Option<bool>("--framings") { Description = "Present each record in one of several framings of its family (e.g. as a fill-in or a school exercise), each with its own CDT tags, so tags vary within a family." };
        var cmd = new Command("make", "Generate a JSONL data set.") { tasks, n, noise, kinds, difficulty, cot, length, format, split, testFraction, seed, output, key, hide, weights, framings };
        cmd.SetAction(r =>
        {
            try
            {
                var (lo, hi) = TestbedOptions.ParseDifficulty(r.GetValue(difficulty)!);
                var kindText = r.GetValue(kinds);
                var options = new TestbedOptions
                {
                    Tasks = TaskRegistry.Parse(r.GetValue(tasks)!),
                    N = r.GetValue(n),
                    Noise = r.GetValue(noise),
                    NoiseKinds = kindText is null ? null : CorruptionKinds.ParseList(kindText),
                    MinDifficulty = lo,
                    MaxDifficulty = hi,
                    Cot = r.GetValue(cot),
                    Length = r.GetValue(length)!.ToLowerInvariant() switch
                    {
                        "short" => ResponseLength.Short, "medium" => ResponseLength.Medium, "long" => ResponseLength.Long,
                        var s => throw new ArgumentException($"--length must be short, medium or long, got '{s}'."),
                    },
                    Split = r.GetValue(split)!.ToLowerInvariant() switch
                    {
                        "train" => TestbedSplit.Train, "test" => TestbedSplit.Test,
                        var s => throw new ArgumentException($"--split must be train or test, got '{s}'."),
                    },
                    TestFraction = r.GetValue(testFraction),
                    Seed = r.GetValue(seed),
                    Framings = r.GetValue(framings),
                };
                if (r.GetValue(weights) is { } w) options = options with { Weights = ParseWeights(w, options.Tasks) };
                var fmt = TestbedFormats.Parse(r.GetValue(format)!);
                bool hidden = r.GetValue(hide);
                var keyPath = r.GetValue(key);
                if (hidden && keyPath is null) throw new ArgumentException("--hide drops the answers and noise labels: give --key FILE to keep them.");
                var records = TestbedGenerator.Generate(options);
                var outPath = r.GetValue(output)!;
                TestbedWriter.Write(records, outPath, fmt, hidden);
                if (keyPath is not null) TestbedWriter.WriteKey(records, keyPath);
                int bad = records.Count(x => x.Meta!.Corrupted);
                Console.WriteLine($"testbed: wrote {records.Count} records ({bad} corrupted) to {outPath}" + (keyPath is null ? "" : $", key to {keyPath}"));
                return 0;
            }
            catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
        });
        return cmd;
    }

    /// <summary>"syllogism=5,arith=1" → one weight per selected family (1 when not named).</summary>
    private static double[] ParseWeights(string text, IReadOnlyList<ITaskFamily> tasks)
    {
        var named = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = item.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                throw new ArgumentException($"--weights: '{item}' is not family=weight.");
            if (!tasks.Any(t => t.Name == parts[0])) throw new ArgumentException($"--weights: '{parts[0]}' is not one of the selected families ({string.Join(", ", tasks.Select(t => t.Name))}).");
            named[parts[0]] = v;
        }
        return tasks.Select(t => named.GetValueOrDefault(t.Name, 1.0)).ToArray();
    }

    private static Command List()
    {
        var cmd = new Command("list", "Print the task families, their domains and CDT tags.");
        cmd.SetAction(_ =>
        {
            foreach (var group in TaskRegistry.All.Concat(TaskRegistry.Extra).GroupBy(f => f.Domain))
            {
                Console.WriteLine(group.Key);
                foreach (var f in group)
                    Console.WriteLine($"  {f.Name,-16} {f.Description}  [cognition {string.Join('+', f.Tags.Cognition)}; {f.Tags.Domain[0]}; {f.Tags.Task[0]}]");
            }
            Console.WriteLine("noise kinds: " + string.Join(", ", CorruptionKinds.All.Select(k => k.Name())));
            return 0;
        });
        return cmd;
    }

    private static Command Score()
    {
        var scores = new Option<string>("--scores") { Description = "JSONL of {\"id\": ..., \"score\": number}; higher = cleaner.", Required = true };
        var key = new Option<string>("--key") { Description = "Key file written by `testbed make --key`.", Required = true };
        var keep = new Option<int?>("--keep") { Description = "K for the kept set (default: the number of clean records)." };
        var lowerIsClean = new Option<bool>("--lower-is-clean") { Description = "Scores are losses/noise scores: lower means cleaner." };
        var cmd = new Command("score", "Score how well per-record scores separate clean from corrupted records (AUC, precision/recall).") { scores, key, keep, lowerIsClean };
        cmd.SetAction(r =>
        {
            try
            {
                var k = TestbedReader.ReadKey(r.GetValue(key)!).ToDictionary(p => p.Key, p => p.Value.Corrupted);
                var s = SelectionScoring.Evaluate(TestbedReader.ReadScores(r.GetValue(scores)!), k, r.GetValue(keep), !r.GetValue(lowerIsClean));
                string F(double x) => x.ToString("F4", CultureInfo.InvariantCulture);
                Console.WriteLine($"clean={s.Clean} corrupted={s.Corrupted} unscored={s.Unscored} auc={F(s.Auc)} k={s.K} " +
                    $"kept_precision={F(s.KeptPrecision)} kept_recall={F(s.KeptRecall)} flagged_precision={F(s.FlaggedPrecision)} flagged_recall={F(s.FlaggedRecall)}");
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or FormatException or IOException)
            {
                Console.Error.WriteLine(e.Message); return 2;
            }
        });
        return cmd;
    }
}
