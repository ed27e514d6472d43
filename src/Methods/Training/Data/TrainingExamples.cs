using Engine.Methods.Core.Data;
namespace Engine.Methods.Training.Data;

/// <summary>Label value meaning "no loss here" (prompt tokens, padding), as in PyTorch/TRL.</summary>
public static class LabelMask
{
    public const int Ignore = -100;
}

/// <summary>
/// A supervised fine-tuning example after formatting and tokenisation. <c>Labels[i]</c> is the target for
/// position i (the trainer shifts); <see cref="LabelMask.Ignore"/> where no loss is taken.
/// </summary>
public sealed record SftExample(int[] InputIds, int[] Labels, double Weight = 1.0, string? Group = null, string? Id = null);

/// <summary>Chosen/rejected are the completion tokens only (the prompt is separate), as TRL tokenises them.</summary>
public sealed record PreferenceExample(int[] PromptIds, int[] ChosenIds, int[] RejectedIds, string? Id = null);

/// <summary>An unpaired KTO example: prompt, completion and whether the completion is desirable.</summary>
public sealed record KtoExample(int[] PromptIds, int[] CompletionIds, bool Desirable, string? Id = null);
