using System.CommandLine;
using Engine.Models.Generation;

namespace Engine.Cli.Infrastructure;

/// <summary>The decoding options of generate/chat, documented once. Unset options keep the model's generation_config.json.</summary>
public sealed class SamplingCliOptions
{
    public Option<int?> MaxNewTokens { get; } = new("--max-new-tokens") { Description = "Most tokens to generate per prompt (default: generation_config or 128)." };
    public Option<double?> Temperature { get; } = new("--temperature") { Description = "Sampling temperature; 0 = greedy (default: generation_config, else greedy)." };
    public Option<int?> TopK { get; } = new("--top-k") { Description = "Keep the k most likely tokens (0 = off)." };
    public Option<double?> TopP { get; } = new("--top-p") { Description = "Nucleus sampling: smallest set with this much probability (1 = off)." };
    public Option<double?> MinP { get; } = new("--min-p") { Description = "Drop tokens below min_p × the top probability (0 = off)." };
    public Option<double?> RepetitionPenalty { get; } = new("--repetition-penalty") { Description = "Penalise tokens already in the context (1 = off; CTRL/transformers rule)." };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Sampling seed (Philox); the same seed and prompt give the same text.", DefaultValueFactory = _ => 0 };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop string (repeatable); the text is cut before it.", AllowMultipleArgumentsPerToken = false };

    public IEnumerable<Option> All => [MaxNewTokens, Temperature, TopK, TopP, MinP, RepetitionPenalty, Seed, Stop];

    public SamplingOptions Apply(ParseResult r, SamplingOptions defaults) => defaults with
    {
        MaxNewTokens = r.GetValue(MaxNewTokens) ?? defaults.MaxNewTokens,
        Temperature = r.GetValue(Temperature) ?? defaults.Temperature,
        TopK = r.GetValue(TopK) ?? defaults.TopK,
        TopP = r.GetValue(TopP) ?? defaults.TopP,
        MinP = r.GetValue(MinP) ?? defaults.MinP,
        RepetitionPenalty = r.GetValue(RepetitionPenalty) ?? defaults.RepetitionPenalty,
        Seed = r.GetValue(Seed),
        StopStrings = r.GetValue(Stop) ?? [],
    };
}
