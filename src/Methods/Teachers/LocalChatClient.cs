using System.Runtime.CompilerServices;
using Engine.Models.Generation;
using Microsoft.Extensions.AI;
using EngineMessage = Engine.Models.Chat.ChatMessage;

namespace Engine.Methods.Teachers;

/// <summary>
/// A teacher in process: <see cref="IChatClient"/> over a <see cref="LocalModel"/>. Messages go through the model's
/// chat template; concurrent calls join the model's continuous batch. Options map as the OpenAI API's do
/// (temperature, top_p, max tokens, stop, seed), plus top_k, and "min_p" / "repetition_penalty" in
/// AdditionalProperties; unset ones take the model's generation_config.json. No seed means seed 0, so a run is
/// reproducible.
/// </summary>
public sealed class LocalChatClient(LocalModel model, bool ownsModel = true) : IChatClient
{
    private readonly ChatClientMetadata _metadata = new("engine-local", null, model.Name);

    public LocalModel Model { get; } = model;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = Request(messages, options);
        var reader = await Model.Batcher.EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        var r = (await ContinuousBatcher.CollectAsync(reader, 1, cancellationToken).ConfigureAwait(false))[0];
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, r.Text))
        {
            ResponseId = NewId(), ModelId = Model.Name, CreatedAt = DateTimeOffset.UtcNow, FinishReason = Finish(r.FinishReason),
            Usage = Usage(request.PromptIds.Length, r.TokenIds.Length),
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = Request(messages, options);
        var reader = await Model.Batcher.EnqueueAsync(request, cancellationToken).ConfigureAwait(false);
        string id = NewId();
        int tokens = 0;
        await foreach (var c in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            tokens += c.Tokens.Count;
            yield return new ChatResponseUpdate(ChatRole.Assistant, c.Text)
            {
                ResponseId = id, MessageId = id, ModelId = Model.Name, CreatedAt = DateTimeOffset.UtcNow,
                FinishReason = c.FinishReason is { } f ? Finish(f) : null,
            };
        }
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(Usage(request.PromptIds.Length, tokens))]) { ResponseId = id, MessageId = id, ModelId = Model.Name };
    }

    /// <summary>The batcher request for a chat call: the rendered prompt and decoding settings.</summary>
    public GenerationRequest Request(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.Tools is { Count: > 0 }) throw new NotSupportedException("The local teacher does not call tools.");
        if (options?.FrequencyPenalty is { } fp && fp != 0 || options?.PresencePenalty is { } pp && pp != 0)
            throw new NotSupportedException("The local teacher has no frequency/presence penalty; set AdditionalProperties[\"repetition_penalty\"] instead.");
        var prompt = Model.EncodeChat(messages.Select(m => new EngineMessage(m.Role.Value, m.Text)).ToList());
        var d = Model.Defaults;
        int room = Model.Batcher.Options.MaxModelLength - prompt.Length;
        if (room < 1) throw new ArgumentException($"The prompt has {prompt.Length} tokens; the local teacher's maximum length is {Model.Batcher.Options.MaxModelLength}.");
        var sampling = d with
        {
            MaxNewTokens = Math.Min(options?.MaxOutputTokens ?? d.MaxNewTokens, room),
            Temperature = options?.Temperature ?? d.Temperature,
            TopP = options?.TopP ?? d.TopP,
            TopK = options?.TopK ?? d.TopK,
            MinP = Extra(options, "min_p") ?? d.MinP,
            RepetitionPenalty = Extra(options, "repetition_penalty") ?? d.RepetitionPenalty,
            Seed = unchecked((ulong)(options?.Seed ?? 0)),
            StopStrings = options?.StopSequences?.ToArray() ?? [],
        };
        return new GenerationRequest(prompt, sampling);
    }

    private static double? Extra(ChatOptions? o, string key) =>
        o?.AdditionalProperties is { } p && p.TryGetValue(key, out var v) && v is not null ? Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture) : null;

    private static ChatFinishReason Finish(string reason) => reason == "length" ? ChatFinishReason.Length : ChatFinishReason.Stop;

    private static UsageDetails Usage(int prompt, int completion) => new() { InputTokenCount = prompt, OutputTokenCount = completion, TotalTokenCount = prompt + completion };

    private static string NewId() => "local-" + Guid.NewGuid().ToString("N")[..24];

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose() { if (ownsModel) Model.Dispose(); }
}
