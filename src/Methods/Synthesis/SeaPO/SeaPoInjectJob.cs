using System.Text.Json.Nodes;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Jobs;
using Engine.Models.Chat;

namespace Engine.Methods.Synthesis.SeaPO;

/// <summary>A single-turn record as SeaPO reads it: the prompt turns (system turns allowed), the question and the correct response.</summary>
public sealed record InjectionInput(IReadOnlyList<ChatMessage> PromptTurns, string Question, string Response, bool Conversational);

/// <summary>
/// The injection record job: for every record and every error type, the injection prompt, the injector's greedy
/// output, its cleaned form and the guards' verdict. One line per record:
/// <c>{"index", "id"?, "prompt", "response", "conversational", "injections": [{"type", "output", "negative", "rejected"}]}</c>
/// (<c>rejected</c> is a guard name, or null when the negative is accepted). The KTO file is built from these lines
/// afterwards (<see cref="SeaPoKto"/>), so targeted and mixed data sets come from one injection run.
/// </summary>
public sealed class SeaPoInjectJob(IErrorInjector injector, SeaPoOptions options) : IRecordJob<InjectionInput>
{
    public string Name => "seapo-inject";
    public int OutputsPerRecord => 1;

    public void Describe(JobFingerprint f)
    {
        injector.Describe(f);
        f.Add("types", options.Types.Select(t => t.Name()));
        f.Add("templates", options.Prompts.Describe());
        f.Add("min_length_ratio", options.MinLengthRatio);
        f.Add("max_length_ratio", options.MaxLengthRatio);
    }

    public InjectionInput Prepare(DataRecord record) => Read(record, options, injector);

    /// <summary>The SeaPO view of a record: one user turn (after optional system turns) and one assistant turn.</summary>
    public static InjectionInput Read(DataRecord record, SeaPoOptions options, IErrorInjector? injector = null)
    {
        if (record.Format is DatasetFormat.Text or DatasetFormat.Tokens or DatasetFormat.Prompt)
            throw record.Error($"SeaPO needs a prompt and its correct response (messages, instruction/output, prompt/completion); a {record.Format} record has no response");
        if (record.Format is DatasetFormat.Preference or DatasetFormat.Kto)
            throw record.Error($"SeaPO injects errors into correct responses; a {record.Format} record is already preference data (give the chosen side as prompt/completion)");
        var prompt = record.Prompt;
        var completion = record.Completion;
        var users = prompt.Where(m => m.Role == RecordParser.User).ToArray();
        if (users.Length != 1 || prompt[^1].Role != RecordParser.User || prompt.Any(m => m.Role == RecordParser.Assistant))
            throw record.Error($"SeaPO injects into single-turn records (one user turn, then the response); this one has {users.Length} user and {prompt.Count(m => m.Role == RecordParser.Assistant)} earlier assistant turns");
        if (completion.Count != 1 || completion[0].Role != RecordParser.Assistant || string.IsNullOrWhiteSpace(completion[0].Content))
            throw record.Error("SeaPO needs exactly one non-empty assistant response after the prompt");
        var input = new InjectionInput(prompt, users[0].Content, completion[0].Content, record.IsConversational || record.Format != DatasetFormat.PromptCompletion);
        if (injector?.Context is { } ctx)
        {
            int longest = options.Types.Max(t => injector.PromptTokens(options.Prompts.Build(t, input.Question, input.Response)) ?? 0);
            if (longest + options.MaxNewTokens > ctx)
                throw record.Error($"the injection prompt is {longest} tokens; with {options.MaxNewTokens} new tokens that exceeds the injector's context of {ctx} (lower --max-new-tokens or skip the record with --skip-bad-records)");
        }
        return input;
    }

    public JobChunkResult Process(IReadOnlyList<JobItem<InjectionInput>> chunk, JobProgress progress)
    {
        var types = options.Types;
        var prompts = new List<string>(chunk.Count * types.Count);
        foreach (var item in chunk)
            foreach (var t in types) prompts.Add(options.Prompts.Build(t, item.Item.Question, item.Item.Response));
        var outputs = injector.Complete(prompts, (done, tokens) => progress.Advance(done / (double)types.Count, tokens));
        var lines = new List<JsonObject>(chunk.Count);
        for (int i = 0; i < chunk.Count; i++)
        {
            var item = chunk[i];
            var injections = new JsonArray();
            for (int k = 0; k < types.Count; k++)
            {
                var raw = outputs[i * types.Count + k];
                var verdict = SeaPoGuards.Check(item.Item.Response, raw, options.MinLengthRatio, options.MaxLengthRatio);
                injections.Add((JsonNode)new JsonObject
                {
                    ["type"] = types[k].Name(), ["output"] = raw, ["negative"] = verdict.Cleaned,
                    ["rejected"] = verdict.Rejected is { } g ? g.Name() : null,
                });
            }
            var line = new JsonObject { ["index"] = item.Index };
            if (item.Record.Id is { } id) line["id"] = id;
            line["prompt"] = new JsonArray(item.Item.PromptTurns.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role, ["content"] = m.Content }).ToArray());
            line["response"] = item.Item.Response;
            line["conversational"] = item.Item.Conversational;
            line["injections"] = injections;
            lines.Add(line);
        }
        return new JobChunkResult(lines);
    }
}
