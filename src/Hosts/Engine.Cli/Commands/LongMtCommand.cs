using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Synthesis.LongMT;

namespace Engine.Cli.Commands;

/// <summary>`engine longmt`: document-level translation by an agent with memories (LongMT / Loong), search over its module calls, DPO pairs.</summary>
public static class LongMtCommand
{
    public static Command Create()
    {
        var cmd = new Command("longmt", "Document-level translation page by page by an agent that keeps memories (page summaries, earlier sentence pairs, entity records) and chooses which to consult before each page; search over those choices gives DPO pairs.");
        cmd.Subcommands.Add(Translate());
        cmd.Subcommands.Add(Sample());
        cmd.Subcommands.Add(Score());
        cmd.Subcommands.Add(Testbed());
        cmd.Subcommands.Add(LongMtExperimentCommand.Create());
        return cmd;
    }

    private static Command Translate()
    {
        var o = new LongMtCliOptions();
        var policy = new Option<string>("--policy")
        {
            Description = "How memory is chosen before each page: agent (the model chooses modules: the LongMT agent), no-memory (each page alone), all (every module, every item) or whole-document (one call, no pages).",
            DefaultValueFactory = _ => "agent",
        };
        var cmd = new Command("translate", "Translate documents page by page with the LongMT agent (or a baseline policy). Resumable per page; shardable; works with a local model or any OpenAI-compatible endpoint.") { policy };
        o.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var p = r.GetValue(policy) switch
            {
                "agent" => ModulePolicy.Agent, "no-memory" => ModulePolicy.NoMemory, "all" => ModulePolicy.All, "whole-document" => ModulePolicy.WholeDocument,
                var x => throw new ArgumentException($"--policy must be agent, no-memory, all or whole-document, not '{x}'."),
            };
            o.Run(r, p, null);
            return 0;
        });
        return cmd;
    }

    private static Command Sample()
    {
        var o = new LongMtCliOptions();
        var strategy = new Option<string>("--search") { Description = "mcts (UCB1 over the sequence of module calls) or greedy (level by level, each choice scored by sampled translations: the released Loong search).", DefaultValueFactory = _ => "mcts" };
        var sims = new Option<int>("--simulations") { Description = "MCTS simulations per page (each translates the page once).", DefaultValueFactory = _ => 32 };
        var c = new Option<double>("--exploration") { Description = "UCB1's exploration constant c (on rewards normalised to [-1, 1]).", DefaultValueFactory = _ => Math.Sqrt(2) };
        var scale = new Option<double>("--reward-scale") { Description = "Relative gain over the page's translation without memory that counts as the full reward 1: reward = clip((score/baseline - 1)/scale, -1, 1).", DefaultValueFactory = _ => 0.05 };
        var perChild = new Option<int>("--samples-per-child") { Description = "Greedy: sampled translations scoring each choice (Loong: 5).", DefaultValueFactory = _ => 5 };
        var sampleT = new Option<double>("--sample-temperature") { Description = "Temperature of the sampled translations (Loong: 0.7).", DefaultValueFactory = _ => 0.7 };
        var minVisits = new Option<int>("--min-visits") { Description = "MCTS: visits each side of a pair needs.", DefaultValueFactory = _ => 2 };
        var minGap = new Option<double>("--min-gap") { Description = "Smallest difference in mean normalised reward between the chosen and the rejected choice.", DefaultValueFactory = _ => 0.1 };
        var allWorse = new Option<bool>("--all-worse") { Description = "Pair the best choice of a level with every worse one, not only with the worst (Loong's multi pairs)." };
        var metric = new Option<string>("--metric") { Description = "Reward metric against the reference: chrf++ or chrf (sacreBLEU definitions).", DefaultValueFactory = _ => "chrf++" };
        var entityWeight = new Option<double>("--entity-weight") { Description = "Weight w of the names' agreement with the entity memory: reward = (1-w)·chrF + w·100·agreement.", DefaultValueFactory = _ => 0.2 };
        var pairsOut = new Option<string?>("--pairs") { Description = "Preference pairs in the standard conversational form (prompt/chosen/rejected message lists) for `engine dpo`. Default: <output stem>.pairs.jsonl. Written when the whole input (or merged output) is complete." };
        var kind = new Option<string>("--pair-kind") { Description = "Pairs to write: module (module-choice pairs), translation (best vs worst sampled translation of the chosen memory) or all.", DefaultValueFactory = _ => "module" };
        var cmd = new Command("sample", "Search over the agent's module calls on documents with references (MCTS or greedy), keep the best translation per page, and write per-level best/worst module choices as DPO pairs.")
        { strategy, sims, c, scale, perChild, sampleT, minVisits, minGap, allWorse, metric, entityWeight, pairsOut, kind };
        o.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var search = new SearchOptions
            {
                Strategy = r.GetValue(strategy) switch { "mcts" => SearchKind.Mcts, "greedy" => SearchKind.Greedy, var x => throw new ArgumentException($"--search must be mcts or greedy, not '{x}'.") },
                Simulations = r.GetValue(sims), Exploration = r.GetValue(c), RewardScale = r.GetValue(scale), SamplesPerChild = r.GetValue(perChild),
                SampleTemperature = r.GetValue(sampleT), MinVisits = r.GetValue(minVisits), MinGap = r.GetValue(minGap), AllWorse = r.GetValue(allWorse),
                ChrfWordOrder = r.GetValue(metric) switch { "chrf++" => 2, "chrf" => 0, var x => throw new ArgumentException($"--metric must be chrf++ or chrf, not '{x}'.") },
                EntityWeight = r.GetValue(entityWeight),
            };
            var k = r.GetValue(kind) switch { "module" => "module", "translation" => "translation", "all" => null, var x => throw new ArgumentException($"--pair-kind must be module, translation or all, not '{x}'.") };
            var s = o.Run(r, ModulePolicy.Agent, search);
            if (!o.JobOptions(r).Shard.IsWhole) { Console.Error.WriteLine($"when every shard is done: engine merge --output {r.GetValue(o.Output)}, then run again with --resume to write the pairs."); return 0; }
            var output = r.GetValue(o.Output)!;
            var path = r.GetValue(pairsOut) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, Path.GetFileNameWithoutExtension(output) + ".pairs.jsonl");
            int n = LongMtPairs.Export(output, path, k);
            Console.Error.WriteLine($"longmt sample: {n} preference pair{(n == 1 ? "" : "s")} -> {path}");
            return 0;
        });
        return cmd;
    }

    private static Command Score()
    {
        var docs = new Option<string>("--input") { Description = "The documents with \"reference\" (and optionally \"entities\": [{source, target}]), as given to `longmt translate`.", Required = true };
        var hyp = new Option<string>("--translations") { Description = "`longmt translate` output (\"id\", \"translation\" one line per source line).", Required = true };
        var cmd = new Command("score", "Score translations: document chrF and chrF++ (sacreBLEU definitions, statistics summed over each document's sentences), and entity consistency (each named entity translated the same way throughout), as means over documents.")
        { docs, hyp };
        cmd.SetAction(r =>
        {
            var byId = new Dictionary<string, LongMtDocument>();
            foreach (var rec in Methods.Core.Data.RecordReader.Read(r.GetValue(docs)!, rec => LongMtDocument.FromRecord(rec, requireReference: true)))
                byId[rec.Item.Id] = rec.Item;
            var chrf = new List<double>();
            var chrfpp = new List<double>();
            var consistency = new List<double>();
            int missing = 0;
            foreach (var line in File.ReadLines(r.GetValue(hyp)!))
            {
                if (line.Length == 0 || JsonNode.Parse(line) is not JsonObject o) continue;
                var id = o["id"]?.GetValue<string>() ?? "";
                if (!byId.Remove(id, out var d)) throw new InvalidDataException($"{r.GetValue(hyp)}: translation of '{id}', which is not among the documents.");
                var lines = LongMtDocument.Lines(o["translation"]?.GetValue<string>() ?? "");
                while (lines.Count < d.Source.Count) lines.Add("");
                if (lines.Count > d.Source.Count) lines = lines.Take(d.Source.Count).ToList();
                chrf.Add(ChrF.Corpus(lines, d.Reference!));
                chrfpp.Add(ChrF.Corpus(lines, d.Reference!, ChrF.WordOrderPlusPlus));
                if (d.Entities is { } g && EntityConsistency.Document(d.Source, lines, g) is { } c) consistency.Add(c);
            }
            missing = byId.Count;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"documents: {chrf.Count}{(missing > 0 ? $" ({missing} without a translation, not scored)" : "")}\nchrF: {Mean(chrf):F2}\nchrF++: {Mean(chrfpp):F2}\nentity consistency: {(consistency.Count == 0 ? "n/a (no entities field)" : Mean(consistency).ToString("P1", CultureInfo.InvariantCulture))}"));
            return 0;
        });
        return cmd;
    }

    private static double Mean(List<double> v) => v.Count == 0 ? double.NaN : v.Average();

    private static Command Testbed()
    {
        var n = new Option<int>("--n") { Description = "Documents.", DefaultValueFactory = _ => 20 };
        var seed = new Option<ulong>("--seed") { Description = "Seed; one seed gives byte-identical files.", DefaultValueFactory = _ => 1UL };
        var split = new Option<string>("--split") { Description = "train or test (decided by a hash of each document's names, so test documents never appear in training files).", DefaultValueFactory = _ => "train" };
        var minPages = new Option<int>("--min-pages") { Description = "Fewest pages a document has.", DefaultValueFactory = _ => 4 };
        var maxPages = new Option<int>("--max-pages") { Description = "Most pages a document has.", DefaultValueFactory = _ => 6 };
        var perPage = new Option<int>("--sentences-per-page") { Description = "Sentences per page.", DefaultValueFactory = _ => 4 };
        var names = new Option<int>("--names") { Description = "Named entities per document (translated by a rule; each recurs on every page).", DefaultValueFactory = _ => 3 };
        var terms = new Option<int>("--terms") { Description = "Ambiguous terms per document (their sense, given on the first page, decides their translation later).", DefaultValueFactory = _ => 2 };
        var output = new Option<string>("--out") { Description = "Output JSONL: id, text and reference (one sentence per line), src_lang en, tgt_lang glosh, entities, terms.", Required = true };
        var cmd = new Command("testbed", "Generate long English → Glosh documents for document-level translation: rule-translated recurring names and ambiguous terms whose translation depends on the first page.")
        { n, seed, split, minPages, maxPages, perPage, names, terms, output };
        cmd.SetAction(r =>
        {
            var docs = LongDocuments.Generate(new LongDocOptions
            {
                N = r.GetValue(n), Seed = r.GetValue(seed), MinPages = r.GetValue(minPages), MaxPages = r.GetValue(maxPages), SentencesPerPage = r.GetValue(perPage),
                Names = r.GetValue(names), Terms = r.GetValue(terms),
                Split = r.GetValue(split) switch { "train" => TestbedSplit.Train, "test" => TestbedSplit.Test, var x => throw new ArgumentException($"--split must be train or test, not '{x}'.") },
            });
            LongDocuments.Write(docs, r.GetValue(output)!);
            Console.Error.WriteLine($"longmt testbed: {docs.Count} documents ({docs.Sum(d => d.Source.Count)} sentences) -> {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }
}
