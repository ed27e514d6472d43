using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Chat;

namespace Engine.Methods.Synthesis.AQuilt;

/// <summary>A training example of the synthesiser in AQuilt's raw format: the prompt and the fenced JSON it must write.</summary>
public sealed record AQuiltExample(string Kind, string Prompt, string Completion, int? Score, string? Id)
{
    public const string GenerationKind = "generation";
    public const string InspectionKind = "inspection";

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["prompt"] = Prompt, ["completion"] = Completion, ["kind"] = Kind };
        if (Score is { } s) o["score"] = s;
        if (Id is not null) o["id"] = Id;
        return o;
    }
}

/// <summary>
/// The synthesiser's training data. A build record is a sample with its passage and task type — <c>text</c>,
/// <c>task_type</c>, <c>qa_pair</c> — and, when inspected, <c>analysis_steps</c> and an integer <c>score</c> (the output
/// of <c>engine aquilt build</c>, or of synthesis + inspection by a teacher). Each record gives a generation example
/// (generation prompt → <c>```json\n{question, thinking_steps, answer}\n```</c>) when it is unscored or scores at least
/// <see cref="AQuiltTrainingDataOptions.GenerationMinScore"/>, and each scored record an inspection example (inspection
/// prompt → <c>```json\n{analysis_steps, score}\n```</c>), the inspection examples balanced over the five score
/// buckets by down-sampling. Both are raw text, trained with loss on the completion (no chat template).
/// </summary>
public static class AQuiltTrainingData
{
    public sealed record BuildRecord(DataRecord Record, AQuiltTask Task, string Passage, QaPair Qa, Inspection? Inspection);

    /// <summary>
    /// A build record, or null with the reason when the record is a sample that cannot teach anything: no pair
    /// (synthesis failed) or an inspection that failed (its quality is unknown). Malformed records are errors.
    /// </summary>
    public static BuildRecord? Read(DataRecord record, out string? skipped)
    {
        var sample = AQuiltFilter.Read(record);
        skipped = null;
        if (sample.Qa is null) { skipped = "no qa_pair"; return null; }
        var hasScoreField = record.Value.TryGetPropertyValue("score", out var scoreNode);
        if (!hasScoreField) return new BuildRecord(record, sample.Task, sample.Passage, sample.Qa, null);
        if (scoreNode is null) { skipped = "no score (the inspection failed)"; return null; }
        if (sample.Score is null) throw record.Error($"\"score\" must be an integer, got {scoreNode.ToJsonString()}", "score");
        if (record.Value["analysis_steps"] is not JsonValue av || !av.TryGetValue<string>(out var analysis))
            throw record.Error("a scored build record needs \"analysis_steps\" (a string)", "analysis_steps");
        return new BuildRecord(record, sample.Task, sample.Passage, sample.Qa, new Inspection(analysis, sample.Score.Value));
    }

    /// <summary>The completion AQuilt's synthesiser is trained to write for a pair.</summary>
    public static string GenerationTarget(QaPair qa) => "```json\n" + AQuiltJson.Format(qa) + "\n```";

    /// <summary>The completion the inspector is trained to write.</summary>
    public static string InspectionTarget(Inspection i) => "```json\n" + AQuiltJson.Format(i) + "\n```";

    /// <summary>Generation examples, then (balanced) inspection examples, each group in record order.</summary>
    public static List<AQuiltExample> Render(IReadOnlyList<BuildRecord> records, AQuiltTrainingDataOptions o)
    {
        o.Validate();
        var examples = new List<AQuiltExample>();
        if (o.Generation)
            foreach (var r in records)
                if (r.Inspection is null || AQuiltRules.Bucket(r.Inspection.Score) >= o.GenerationMinScore)
                    examples.Add(new AQuiltExample(AQuiltExample.GenerationKind, o.Prompts.Generation(r.Task, r.Passage), GenerationTarget(r.Qa), r.Inspection?.Score, r.Record.Id));
        if (o.Inspection)
        {
            var scored = records.Where(r => r.Inspection is not null).ToList();
            if (o.BalanceLevels) scored = AQuiltRules.Balance(scored, r => AQuiltRules.Bucket(r.Inspection!.Score), o.Seed, o.LevelCap);
            foreach (var r in scored)
                examples.Add(new AQuiltExample(AQuiltExample.InspectionKind, o.Prompts.Inspection(r.Passage, r.Qa), InspectionTarget(r.Inspection!), r.Inspection!.Score, r.Record.Id));
        }
        return examples;
    }

    /// <summary>
    /// Read build records from files: a malformed record stops the load (or is skipped and reported); samples without a
    /// pair or with a failed inspection are left out and counted by reason in <paramref name="leftOut"/>.
    /// </summary>
    public static List<BuildRecord> ReadAll(IEnumerable<string> paths, DatasetOptions d, ReadReport report, IDictionary<string, long>? leftOut = null)
    {
        var list = new List<BuildRecord>();
        foreach (var r in RecordReader.Read(paths, rec => (Record: Read(rec, out var why), Why: why), new RecordReadOptions { Format = d.Format, SkipBadRecords = d.SkipBadRecords }, report))
        {
            if (r.Item.Record is { } b) list.Add(b);
            else if (leftOut is not null) leftOut[r.Item.Why!] = leftOut.TryGetValue(r.Item.Why!, out var n) ? n + 1 : 1;
        }
        return list;
    }

    /// <summary>
    /// How the synthesiser's examples are tokenised: prompt and completion as raw text (no template), the tokenizer's
    /// own BOS first when it adds one (exactly what synthesis feeds the model), EOS = the id generation stops on.
    /// </summary>
    public static ExampleTokenizer Tokenizer(ModelBundle bundle, int? maxLength = null)
    {
        var tok = bundle.Tokenizer;
        var specials = tok.Encode("", addSpecialTokens: true);
        int? bos = specials.Length > 0 && specials[0] == tok.BosTokenId ? specials[0] : null;
        int? eos = bundle.EosTokenIds.Length > 0 ? bundle.EosTokenIds[0] : tok.EosTokenId;
        return new ExampleTokenizer(tok, PlainChatRenderer.Instance, eos, bos, new TokenizationOptions { MaxLength = maxLength, StringRecordsAsIs = true }, bundle.EosTokenIds);
    }

    /// <summary>Tokenised examples: prompt and completion encoded as they are (no template), loss on the completion, EOS appended.</summary>
    public static (List<SftExample> Examples, DatasetReport Report) Load(IEnumerable<string> paths, ExampleTokenizer tokenizer, DatasetOptions d, AQuiltTrainingDataOptions o,
        IDictionary<string, long>? leftOut = null)
    {
        if (!tokenizer.Options.StringRecordsAsIs) throw new ArgumentException("AQuilt's prompts are raw text: the tokenizer must encode string records as they are (StringRecordsAsIs).");
        var report = new DatasetReport(d.MaxReportedErrors);
        var records = ReadAll(paths, d, report.Reading, leftOut);
        var list = new List<SftExample>();
        foreach (var e in Render(records, o))
        {
            var sft = new SftRecord(DatasetFormat.PromptCompletion, null,
                [new ChatMessage(RecordParser.User, e.Prompt), new ChatMessage(RecordParser.Assistant, e.Completion)], false, e.Id, default, FirstTrainedTurn: 1);
            var ex = tokenizer.ToSft(sft, out var cut);
            if (cut) report.Truncated++;
            if (ex is null) { report.DroppedNoLoss++; continue; }
            list.Add(ex);
        }
        report.Examples = list.Count;
        return (list, report);
    }
}
