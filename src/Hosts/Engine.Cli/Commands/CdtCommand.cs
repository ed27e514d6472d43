using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Selection.CDT;

namespace Engine.Cli.Commands;

/// <summary>`engine cdt tag|metrics|select|train-tagger|experiment`: CDT capability tags, coverage and balance, and selection by them.</summary>
public static class CdtCommand
{
    public static Command Create()
    {
        var cdt = new Command("cdt", "CDT (cognition, domain, task): tag instructions with capability tags, measure a data set's coverage and balance, and select data by them.");
        cdt.Subcommands.Add(CdtTagCommand.Create());
        cdt.Subcommands.Add(Metrics());
        cdt.Subcommands.Add(Select());
        cdt.Subcommands.Add(CdtTrainTaggerCommand.Create());
        cdt.Subcommands.Add(SelectionBenchmarkCommand.Create("experiment"));
        return cdt;
    }

    internal static Option<string?> LabelsOption() => new("--labels")
    {
        Description = "Folder with your own label files cognition.json, domain.json, task.json ({\"labels\": [{\"name\", \"definition\"?, \"group\"?}]}); "
            + "a file it lacks is the built-in one. Default: the built-in sets (18 cognition codes, 33 subdomains in 9 domains, 13 task types). "
            + "Duplicate or nameless labels are reported and left out.",
    };

    internal static CdtLabelSet LoadLabels(string? dir)
    {
        var labels = dir is null ? CdtLabelSet.Default : CdtLabelSet.Load(dir);
        foreach (var p in labels.Problems) Console.Error.WriteLine("warning: " + p);
        if (labels.Problems.Count > 0) Console.Error.WriteLine($"warning: {labels.Problems.Count} label problem{(labels.Problems.Count == 1 ? "" : "s")} in the label files; those entries are left out.");
        return labels;
    }

    private static Option<long?> DenominatorOption() => new("--denominator")
    {
        Description = "Coverage denominator: all possible capabilities. Default: (C(n_c,2) + n_c) · n_d · n_t from the label sets (73,359 for the built-in 18/33/13); "
            + "90288 reproduces the paper's, which counts 16 task types.",
    };

    private static Command Metrics()
    {
        var input = new Option<string>("--input") { Description = "Tagged records (JSONL, JSON array, Parquet or a folder; any format) with \"tags\": {\"cognition\": [...], \"domain\": [...], \"task\": [...]}, e.g. the output of `engine cdt tag`.", Required = true };
        var json = new Option<string?>("--json") { Description = "Write the metrics (counts, coverage, balance, per-axis histograms, every capability's count) to this JSON file." };
        var png = new Option<string?>("--png") { Description = "Draw the capability histogram (the most frequent 30 as bars) to this PNG." };
        var labels = LabelsOption();
        var denominator = DenominatorOption();
        var skipBad = Infrastructure.CliOptions.SkipBadRecords();
        var cmd = new Command("metrics", "Coverage (distinct capabilities / all possible) and balance (entropy in bits of the capability histogram) of a tagged data set, with per-axis histograms.")
        { input, json, png, labels, denominator, skipBad };
        cmd.SetAction(r =>
        {
            var set = LoadLabels(r.GetValue(labels));
            var pool = ReadPool(r.GetValue(input)!, set, r.GetValue(skipBad));
            var m = pool.Metrics(r.GetValue(denominator) ?? set.CoverageDenominator);
            Console.WriteLine(Describe(m));
            foreach (var d in CdtDimensions.All)
                Console.WriteLine($"  {d.FieldName()}: " + string.Join(", ", m.Axes[d].OrderByDescending(x => x.Value).ThenBy(x => x.Key, StringComparer.Ordinal).Take(12).Select(x => $"{x.Key} {x.Value}")));
            if (r.GetValue(json) is { } j) File.WriteAllText(j, m.ToJson().ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (r.GetValue(png) is { } p) CombinationPlot.Write(m, p);
            return 0;
        });
        return cmd;
    }

    private static Command Select()
    {
        var input = new Option<string>("--input") { Description = "The tagged pool (records with CDT \"tags\", e.g. from `engine cdt tag`); every field is kept in the output.", Required = true };
        var output = new Option<string>("--output") { Description = "Selected records (JSONL, in input order).", Required = true };
        var mode = new Option<string>("--mode") { Description = "diversity: maximise coverage and balance of capabilities for the budget (general purpose); specific: take the capabilities of --target first.", DefaultValueFactory = _ => "diversity" };
        var target = new Option<string?>("--target") { Description = "--mode specific: tagged records of the target (e.g. a benchmark's validation set); only which capabilities it has is used (or their frequencies with --specific-mode proportional)." };
        var specificMode = new Option<string>("--specific-mode") { Description = "support (the paper: the target's capabilities, coverage first) or proportional (each target capability gets its share of the budget first).", DefaultValueFactory = _ => "support" };
        var ratio = new Option<double>("--ratio") { Description = "Fraction of the pool kept: ⌈N · ratio⌉ records.", DefaultValueFactory = _ => 0.2 };
        var topN = new Option<int?>("--top-n") { Description = "Keep this many records instead of a ratio." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random choices (the paper's scripts use 1234); the same seed gives the same selection.", DefaultValueFactory = _ => 1234UL };
        var labels = LabelsOption();
        var denominator = DenominatorOption();
        var skipBad = Infrastructure.CliOptions.SkipBadRecords();
        var cmd = new Command("select", "Select a budget of records by their CDT tags: diversity (every capability before any repeats) or specific (the target's capabilities first, at three levels of detail); both back-fill at random to hit the budget exactly.")
        { input, output, mode, target, specificMode, ratio, topN, seed, labels, denominator, skipBad };
        cmd.SetAction(r =>
        {
            var o = new CdtSelectOptions
            {
                Ratio = r.GetValue(ratio), TopN = r.GetValue(topN), Seed = r.GetValue(seed),
                SpecificMode = r.GetValue(specificMode) switch
                {
                    "support" => CdtSpecificMode.Support, "proportional" => CdtSpecificMode.Proportional,
                    var x => throw new ArgumentException($"--specific-mode must be support or proportional, not '{x}'."),
                },
            };
            o.Validate();
            var set = LoadLabels(r.GetValue(labels));
            var pool = ReadPool(r.GetValue(input)!, set, r.GetValue(skipBad));
            int count = o.Count(pool.Records.Count);
            int[] picked = r.GetValue(mode) switch
            {
                "diversity" => CdtSelection.Diversity(pool.Tags, count, o.Seed),
                "specific" => CdtSelection.Specific(pool.Tags,
                    ReadPool(r.GetValue(target) ?? throw new ArgumentException("--mode specific needs --target (tagged records of the target)."), set, r.GetValue(skipBad)).Tags,
                    count, o.Seed, o.SpecificMode),
                var x => throw new ArgumentException($"--mode must be diversity or specific, not '{x}'."),
            };
            pool.Write(picked, r.GetValue(output)!);
            long den = r.GetValue(denominator) ?? set.CoverageDenominator;
            Console.WriteLine("pool:     " + Describe(pool.Metrics(den)));
            Console.WriteLine("selected: " + Describe(pool.Metrics(picked, den)));
            Console.WriteLine($"cdt select: kept {picked.Length} of {pool.Records.Count} records -> {r.GetValue(output)}");
            return 0;
        });
        return cmd;
    }

    internal static CdtPool ReadPool(string path, CdtLabelSet labels, bool skipBad)
    {
        var report = new ReadReport();
        report.Skipped += e => Console.Error.WriteLine("skipped: " + e.Message);
        var pool = CdtPool.Read(path, labels, skipBad, report);
        if (pool.Skipped > 0) Console.Error.WriteLine($"{path}: {pool.Skipped} bad record{(pool.Skipped == 1 ? "" : "s")} skipped.");
        if (pool.UnknownTagValues.Count > 0)
            Console.Error.WriteLine($"{path}: {pool.UnknownTagValues.Count} tag value{(pool.UnknownTagValues.Count == 1 ? "" : "s")} not in the label sets, left out (e.g. " +
                string.Join("; ", pool.UnknownTagValues.Distinct().Take(5)) + ").");
        return pool;
    }

    private static string Describe(CdtDatasetMetrics m) => string.Create(CultureInfo.InvariantCulture,
        $"{m.Records} records, {m.Tagged} tagged; {m.Distinct} capabilities; coverage {m.Coverage * 100:F3}% (of {m.Denominator:N0}); balance {m.Balance:F3} bits (max {Math.Log2(m.Denominator):F3})");
}
