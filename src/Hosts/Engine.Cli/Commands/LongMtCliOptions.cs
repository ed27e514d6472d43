using System.CommandLine;
using System.Globalization;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Synthesis.LongMT;
using Engine.Methods.Teachers;
using Engine.Models;
using Microsoft.Extensions.AI;

namespace Engine.Cli.Commands;

/// <summary>The options `longmt translate` and `longmt sample` share: the model, languages, pages, memory, prompts, decoding and the record-job options.</summary>
public sealed class LongMtCliOptions
{
    public Option<string?> Model { get; } = new("--model") { Description = "Hugging Face model folder that translates and chooses modules, run in process (shorthand for --teacher local:DIR). Default: --teacher." };
    public TeacherCliOptions Teacher { get; } = new();
    public Option<string> Source { get; } = new("--src") { Description = "Source language code (en, zh, de, fr, ja, ..., or any name; the prompts use the language's name).", DefaultValueFactory = _ => "en" };
    public Option<string> Target { get; } = new("--tgt") { Description = "Target language code.", Required = true };
    public Option<string> Input { get; } = new("--input") { Description = "Documents (JSONL, JSON array or Parquet, or a folder): \"text\" holds the source, one sentence per line (never re-segmented); optional \"id\", \"reference\" (aligned, one line per source line) and \"entities\" ([{source, target}], used by `longmt score`).", Required = true };
    public Option<string> Output { get; } = new("--output") { Description = "One JSON line per document: id, translation (one line per source line), the pages with their module calls and problems. Each finished page also goes at once to <output>.pages.jsonl, from which --resume continues a document at its first unfinished page.", Required = true };
    public Option<string?> Shard { get; } = CliOptions.Shard();
    public Option<bool> Resume { get; } = CliOptions.Resume();
    public Option<bool> Overwrite { get; } = CliOptions.Overwrite();
    public Option<bool> SkipBad { get; } = CliOptions.SkipBadRecords();
    public Option<string> Memory { get; } = new("--memory") { Description = "How finished pages are written into memory: model (Loong's calls: a summary, the page's names and their translations, by the same model) or rules (no calls: the page's first words as summary, capitalised names aligned to target words by co-occurrence; for models too small to summarise).", DefaultValueFactory = _ => "model" };
    public Option<string> Prompts { get; } = new("--prompts") { Description = "Prompt set: default (Loong's structure), compact (the same in few tokens, for small contexts) or a file of \"### section\" blocks (see src/Methods/Synthesis/LongMT/Prompts/default.txt).", DefaultValueFactory = _ => "default" };
    public Option<int> PageTokens { get; } = new("--page-tokens") { Description = "Source tokens per page at most; a sentence over it gets a page of its own.", DefaultValueFactory = _ => 400 };
    public Option<int> PageSentences { get; } = new("--page-sentences") { Description = "Sentences per page at most (Loong: 10).", DefaultValueFactory = _ => 10 };
    public Option<int> TopSummaries { get; } = new("--top-summaries") { Description = "Summaries view_summaries shows: all when at most this many, else the most similar to the page.", DefaultValueFactory = _ => 4 };
    public Option<int> TopPairs { get; } = new("--top-pairs") { Description = "Earlier sentence pairs view_pages shows (the most similar to the page).", DefaultValueFactory = _ => 4 };
    public Option<int> SummaryWords { get; } = new("--summary-words") { Description = "Words a page summary may have.", DefaultValueFactory = _ => 50 };
    public Option<int> MaxRetries { get; } = new("--max-retries") { Description = "Retries of a page whose answer has another number of sentences, before the page is halved (Loong: 10).", DefaultValueFactory = _ => 10 };
    public Option<double> Temperature { get; } = new("--temperature") { Description = "Temperature of a page's first translation attempt (0 = greedy).", DefaultValueFactory = _ => 0.0 };
    public Option<double> RetryTemperature { get; } = new("--retry-temperature") { Description = "Temperature of the retries.", DefaultValueFactory = _ => 0.7 };
    public Option<double> SelectionTemperature { get; } = new("--selection-temperature") { Description = "Temperature of the module choices.", DefaultValueFactory = _ => 0.0 };
    public Option<int> MaxNewTokens { get; } = new("--max-new-tokens") { Description = "Longest page translation in tokens (also capped by the context left after the prompt).", DefaultValueFactory = _ => 2048 };
    public Option<int?> Context { get; } = new("--context") { Description = "Tokens of prompt plus answer the model takes. Default: a local model's own limit; 8192 for a remote one (whose tokens are then estimated as characters / 3)." };
    public Option<string> Embedder { get; } = new("--embedder") { Description = "Vectors that rank earlier summaries and sentence pairs: ngram (hashed character trigrams, no model) or a model folder (mean-pooled hidden states).", DefaultValueFactory = _ => "ngram" };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Base seed of every sampled call (derived per document and page, so shards and resumed runs ask the same).", DefaultValueFactory = _ => 0UL };
    public Option<int> Parallel { get; } = new("--parallel-documents") { Description = "Documents translated at once; their calls share a local model's decode batch. With more than 1 a local model's numbers may differ in the last bits from a sequential run.", DefaultValueFactory = _ => 1 };
    public Option<string> Device { get; } = CliOptions.Device();
    public Option<string> DType { get; } = CliOptions.DType();

    public void AddTo(Command cmd)
    {
        foreach (var o in new Option[] { Model, Source, Target, Input, Output, Shard, Resume, Overwrite, SkipBad, Memory, Prompts, PageTokens, PageSentences,
                     TopSummaries, TopPairs, SummaryWords, MaxRetries, Temperature, RetryTemperature, SelectionTemperature, MaxNewTokens, Context, Embedder, Seed, Parallel, Device, DType })
            cmd.Options.Add(o);
        Teacher.AddTo(cmd);
    }

    public LongMtOptions Options(ParseResult r, ModulePolicy policy) => new()
    {
        SourceLanguage = r.GetValue(Source)!, TargetLanguage = r.GetValue(Target)!,
        PageTokens = r.GetValue(PageTokens), MaxPageSentences = r.GetValue(PageSentences),
        TopSummaries = r.GetValue(TopSummaries), TopPairs = r.GetValue(TopPairs), SummaryWords = r.GetValue(SummaryWords),
        MaxRetries = r.GetValue(MaxRetries), Temperature = r.GetValue(Temperature), RetryTemperature = r.GetValue(RetryTemperature),
        SelectionTemperature = r.GetValue(SelectionTemperature), MaxNewTokens = r.GetValue(MaxNewTokens),
        Policy = policy,
        Memory = r.GetValue(Memory) switch { "model" => MemoryWriterKind.Model, "rules" => MemoryWriterKind.Rules, var x => throw new ArgumentException($"--memory must be model or rules, not '{x}'.") },
        Seed = r.GetValue(Seed), ParallelDocuments = r.GetValue(Parallel),
    };

    /// <summary>The chat client (local model or endpoint) and its identity for the job fingerprint (weights' content digest, or the endpoint and model name).</summary>
    public (IChatClient Chat, string Identity) Client(ParseResult r)
    {
        var model = r.GetValue(Model);
        var spec = TeacherSpec.Parse(model is not null ? "local:" + model : r.GetValue(Teacher.Teacher)!);
        if (model is not null && r.GetResult(Teacher.Teacher) is { Implicit: false }) throw new ArgumentException("--model and --teacher exclude each other.");
        if (spec.Kind == TeacherKind.Local && spec.ModelDirectory is null) spec = spec with { ModelDirectory = ModelResolver.Resolve(null) };
        var dev = CliOptions.ParseDevice(r.GetValue(Device)!);
        var chat = Methods.Teachers.Teacher.Create(spec, new TeacherOptions
        {
            CacheDirectory = r.GetValue(Teacher.Cache), MaxConcurrency = r.GetValue(Teacher.Concurrency), RequestsPerMinute = r.GetValue(Teacher.RequestsPerMinute),
            Timeout = TimeSpan.FromSeconds(r.GetValue(Teacher.Timeout)), MaxRetries = r.GetValue(Teacher.Retries), ApiKeyVariable = r.GetValue(Teacher.KeyVariable)!,
            Device = dev, DType = CliOptions.ParseDType(r.GetValue(DType)!, dev),
        });
        var identity = spec.Kind == TeacherKind.Local
            ? "local:" + ContentDigest.OfModel(spec.ModelDirectory!) + (spec.AdapterDirectory is { } a ? "+adapter:" + ContentDigest.OfModel(a) : "")
            : spec.ToString();
        return (chat, identity);
    }

    public ITextEmbedder MakeEmbedder(ParseResult r)
    {
        var e = r.GetValue(Embedder)!;
        if (e == "ngram") return new HashedNgramEmbedder();
        if (!Directory.Exists(e)) throw new DirectoryNotFoundException($"--embedder '{e}' is neither ngram nor a model folder.");
        var bundle = ModelBundle.Load(e);
        return new ModelEmbedder(bundle.Model, bundle.Tokenizer, "model:" + ContentDigest.OfModel(e));
    }

    public JobOptions JobOptions(ParseResult r)
    {
        if (r.GetValue(Resume) && r.GetValue(Overwrite)) throw new ArgumentException("--resume and --overwrite exclude each other: continue the output, or start it again.");
        return new JobOptions
        {
            Input = r.GetValue(Input)!, Output = r.GetValue(Output)!, Shard = Methods.Core.Jobs.Shard.Parse(r.GetValue(Shard)),
            Resume = r.GetValue(Resume), Overwrite = r.GetValue(Overwrite), SkipBadRecords = r.GetValue(SkipBad),
        };
    }

    /// <summary>Build the agent and run the record job with progress; returns the summary.</summary>
    public JobSummary Run(ParseResult r, ModulePolicy policy, SearchOptions? search)
    {
        var (chat, identity) = Client(r);
        using (chat)
        {
            var agent = new LongMtAgent(chat, Options(r, policy), LongMtPrompts.Load(r.GetValue(Prompts)!), PromptMeters.For(chat, r.GetValue(Context)), MakeEmbedder(r), search);
            var o = JobOptions(r);
            JobSummary s;
            using (var progress = new ProgressReporter("documents"))
                s = LongMtJob.Run(agent, identity, o, progress.Meter);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{(search is null ? "longmt translate" : "longmt sample")}: {s.Records} document{(s.Records == 1 ? "" : "s")}{(s.Resumed > 0 ? $" ({s.Resumed} from the earlier run)" : "")}{(s.Skipped > 0 ? $", {s.Skipped} bad skipped" : "")} -> {s.Output}"));
            ReportProblems(s.Output);
            return s;
        }
    }

    /// <summary>Print how many documents had problems and the first few, so nothing goes unnoticed.</summary>
    private static void ReportProblems(string output)
    {
        int docs = 0, total = 0;
        var first = new List<string>();
        foreach (var line in File.ReadLines(output))
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(line)?["problems"] is not System.Text.Json.Nodes.JsonArray ps || ps.Count == 0) continue;
            docs++;
            total += ps.Count;
            var id = System.Text.Json.Nodes.JsonNode.Parse(line)?["id"]?.GetValue<string>();
            foreach (var p in ps.Take(Math.Max(0, 5 - first.Count))) first.Add($"{id}: {p}");
        }
        if (total == 0) return;
        Console.Error.WriteLine($"{total} problem{(total == 1 ? "" : "s")} in {docs} document{(docs == 1 ? "" : "s")} (each listed in the output's \"problems\"), e.g.:");
        foreach (var p in first) Console.Error.WriteLine("  " + p);
    }
}
