using Engine.Methods.Core.Inference;
using Engine.Methods.Core.Jobs;
using Engine.Methods.Teachers;
using Engine.Models.Generation;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Speech.SelfPowered;

/// <summary>One target to write: the record's index (its Philox row), the instruction and the transcript it applies to.</summary>
public sealed record TargetQuestion(long Index, string Instruction, string Transcript);

/// <summary>The LLM's answer, why it stopped ("eos", "stop", "length") and its length in tokens (when known).</summary>
public sealed record TargetAnswer(string Text, string FinishReason, int? Tokens);

/// <summary>The LLM that writes the self-powered targets: the speech model's own LLM in process, or any chat client.</summary>
public interface ITargetWriter
{
    /// <summary>Its identity and decoding settings, for the job's fingerprint.</summary>
    void Describe(JobFingerprint f);
    /// <summary>Tokens of the generation prompt, or null when they cannot be counted here (a remote teacher).</summary>
    int? PromptTokens(string instruction, string transcript);
    /// <summary>Answers in question order; each depends only on its question.</summary>
    IReadOnlyList<TargetAnswer> Answer(IReadOnlyList<TargetQuestion> questions, JobProgress progress);
}

/// <summary>
/// A local LLM writing targets as the released code does: the format's generation prompt, greedy decoding, batches of a
/// fixed shape (<see cref="StableBatches"/>), so a record's target does not depend on its neighbours.
/// </summary>
public sealed class LocalTargetWriter(InferenceModel model, SpeechPromptEncoder prompts, int maxNewTokens, int batchSize) : ITargetWriter
{
    private readonly TextGenerator _generator = new(model.Bundle.Model, model.Bundle.Tokenizer);
    private SamplingOptions Sampling => new() { MaxNewTokens = maxNewTokens, Temperature = 0, EosTokenIds = model.Bundle.EosTokenIds };

    public void Describe(JobFingerprint f)
    {
        model.Describe(f);
        f.Add("decoding", "greedy");
        f.Add("batch_size", batchSize);
    }

    public int? PromptTokens(string instruction, string transcript) => prompts.GenerationPrompt(instruction, transcript).Length;

    public IReadOnlyList<TargetAnswer> Answer(IReadOnlyList<TargetQuestion> questions, JobProgress progress)
    {
        var ids = questions.Select(q => prompts.GenerationPrompt(q.Instruction, q.Transcript)).ToArray();
        var answers = new TargetAnswer[questions.Count];
        foreach (var batch in StableBatches.Plan(ids.Select(p => p.Length).ToArray(), batchSize, model.Context - maxNewTokens))
        {
            var got = _generator.Generate(batch.Items.Select(i => ids[i]).ToArray(), Sampling, batch.Items.Select(i => (ulong)questions[i].Index).ToArray(), batch.Length);
            for (int j = 0; j < batch.Real; j++) answers[batch.Items[j]] = new TargetAnswer(got[j].Text, got[j].FinishReason, got[j].TokenIds.Length);
            progress.Advance(batch.Real, got.Take(batch.Real).Sum(r => (long)r.TokenIds.Length));
        }
        return answers;
    }
}

/// <summary>
/// Any <see cref="IChatClient"/> writing targets (a local teacher, <c>engine serve</c>, a hosted API): one user turn
/// (the format's <c>user</c> text), temperature 0, at most the token limit; the chunk's questions are asked concurrently
/// (the client's own limits apply).
/// </summary>
public sealed class ChatTargetWriter(IChatClient client, string identity, SpeechPromptFormat format, int maxNewTokens) : ITargetWriter
{
    public void Describe(JobFingerprint f)
    {
        f.Add("teacher", identity);
        f.Add("decoding", "temperature 0");
    }

    public int? PromptTokens(string instruction, string transcript) => null;

    public IReadOnlyList<TargetAnswer> Answer(IReadOnlyList<TargetQuestion> questions, JobProgress progress)
    {
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = maxNewTokens, Seed = 0 };
        async Task<TargetAnswer> Ask(TargetQuestion q)
        {
            var r = await client.GetResponseAsync([new ChatMessage(ChatRole.User, SelfPoweredRules.Fill(format.User, q.Instruction, q.Transcript))], options).ConfigureAwait(false);
            var reason = r.FinishReason == ChatFinishReason.Length ? "length" : "stop";
            lock (progress) progress.Advance(1, r.Usage?.OutputTokenCount ?? 0);   // answers arrive on several threads
            return new TargetAnswer(r.Text, reason, r.Usage?.OutputTokenCount is { } n ? (int)n : null);
        }
        return Task.WhenAll(questions.Select(Ask)).GetAwaiter().GetResult();
    }
}
