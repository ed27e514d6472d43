using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Core.Data;
using Engine.Methods.Core.Inference;
using Engine.Methods.Speech.SelfPowered;

namespace Engine.Cli.Commands;

/// <summary>`engine lsm gen-targets`: the self-powered targets of an ASR manifest, as a shardable, resumable record job.</summary>
public static class LsmGenTargetsCommand
{
    public static Command Create()
    {
        var job = new RecordJobCliOptions(
            "ASR manifest (--transcripts is the same option): one record per clip with \"audio\" (a WAV path, relative paths read against the manifest's folder) and \"text\" (its transcript); other fields are carried through.",
            "JSONL output, one line per clip: the input's fields, then \"audio\" (absolute), \"transcript\", \"category\", \"template\" (index), \"instruction\", \"text\" (the target: "
            + "the transcript for the transcription category, else the LLM's answer), \"finish_reason\" (eos, stop, length, or transcript), \"kept\" and \"drop_reason\" "
            + "(prompt_tokens: the prompt was too long to generate; filter: the post-filter rejected the answer). engine lsm train reads it as it is.");
        job.Input.Aliases.Add("--transcripts");
        var llm = new Option<string?>("--llm") { Description = "The LLM that writes the targets, run in this process: the speech model's own LLM (a Hugging Face folder). Its prompt is --prompt-format's generation prompt, decoded greedily. Without --llm, --teacher writes them." };
        var adapter = CliOptions.Adapter();
        var teacher = new TeacherCliOptions();
        teacher.Teacher.Description = "Without --llm: any chat model as the target writer, sent the format's user turn (instruction + transcript) at temperature 0. " + teacher.Teacher.Description;
        var instructions = new Option<string?>("--instructions") { Description = "Instruction pool file: \"[category]\" lines, each followed by its templates, one per line (\"#\" comments). The category \"asr\" is transcription: its target is the transcript. Default: the method's 7 categories × 5 templates (asr, repeat, keywords, intent, sentiment, continuation_zh, translation_zh)." };
        var categories = new Option<string?>("--categories") { Description = "Comma-separated categories to draw from, with equal shares (default: all in the pool)." };
        var format = new Option<string>("--prompt-format") { Description = "vicuna (the method's raw Vicuna prompt: \"...USER: {instruction}: {transcript} \\nASSISTANT:\", with BOS), chat (the LLM's chat template, one user turn \"{instruction}\\n{transcript}\"), or a format JSON file (see docs/methods/self-powered-lsm.md). Use the same format for lsm train.", DefaultValueFactory = _ => "vicuna" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of each clip's category and template draw (a function of the seed and the clip's index only).", DefaultValueFactory = _ => 1UL };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Longest target in new tokens (the method: 225).", DefaultValueFactory = _ => 225 };
        var maxPrompt = new Option<int>("--max-prompt-tokens") { Description = "Generate only for prompts of fewer tokens than this, BOS included (the method: 150; 0 = no limit). Longer ones get \"kept\": false. Not counted for a --teacher.", DefaultValueFactory = _ => 150 };
        var filter = new Option<string>("--filter") { Description = "Post-filter on the LLM's answers: punctuation (the method: keep answers whose last character is punctuation, which drops those cut at the token limit), finished (keep answers that ended before the limit), none.", DefaultValueFactory = _ => "punctuation" };
        var batch = new Option<int>("--batch-size") { Description = "Prompts decoded together by a local --llm (the method: 32). Batches have this many rows and a length bucket, so a target never depends on its neighbours.", DefaultValueFactory = _ => 32 };
        var device = CliOptions.Device();
        var dtype = CliOptions.DType();
        var cmd = new Command("gen-targets", "Self-powered targets: for each clip of an ASR manifest draw an instruction (category, then template) and let the LLM answer it on the transcript; "
            + "transcription targets are the transcript itself.") { llm, adapter, instructions, categories, format, seed, maxNew, maxPrompt, filter, batch, device, dtype };
        foreach (var o in job.All) cmd.Options.Add(o);
        teacher.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var options = new SelfPoweredTargetOptions
            {
                Instructions = r.GetValue(instructions) is { } f ? InstructionPool.Load(f) : InstructionPool.Default,
                Categories = r.GetValue(categories)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Format = SpeechPromptFormat.Resolve(r.GetValue(format)!),
                Seed = r.GetValue(seed), MaxNewTokens = r.GetValue(maxNew), MaxPromptTokens = r.GetValue(maxPrompt), BatchSize = r.GetValue(batch),
                Filter = r.GetValue(filter) switch
                {
                    "punctuation" => TargetFilter.Punctuation, "finished" => TargetFilter.Finished, "none" => TargetFilter.None,
                    var x => throw new ArgumentException($"--filter must be punctuation, finished or none, not '{x}'."),
                },
            };
            options.Validate();
            var jobOptions = job.JobOptions(r, defaultChunkSize: 64 * options.BatchSize) with { Format = DatasetFormat.Text };
            if (r.GetValue(llm) is { } dir)
            {
                var model = RecordJobCliOptions.LoadModel(dir, r.GetValue(device)!, r.GetValue(dtype)!, r.GetValue(adapter));
                var writer = new LocalTargetWriter(model, SelfPoweredTraining.Prompts(options.Format, model.Bundle), options.MaxNewTokens, options.BatchSize);
                return RecordJobCliOptions.Run(new SelfPoweredTargetJob(writer, options), jobOptions with { Sources = model.Sources() });
            }
            if (r.GetValue(adapter) is not null) throw new ArgumentException("--adapter goes with --llm (a teacher names its adapter in --teacher local:DIR+adapter=A).");
            using var client = teacher.Build(r, r.GetValue(device)!, r.GetValue(dtype)!);
            var chat = new ChatTargetWriter(client, r.GetValue(teacher.Teacher)!, options.Format, options.MaxNewTokens);
            return RecordJobCliOptions.Run(new SelfPoweredTargetJob(chat, options), jobOptions);
        });
        return cmd;
    }
}
