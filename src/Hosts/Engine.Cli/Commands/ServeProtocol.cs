using System.Text.Json.Serialization;

namespace Engine.Cli.Commands;

// The response bodies of `engine serve`, in the OpenAI API's shapes (snake_case, nulls omitted unless the API
// always sends the field). Written through the source-generated ServeJson context: no reflection, trim-safe.

public sealed record ApiUsage(int PromptTokens, int CompletionTokens, int TotalTokens);

public sealed record ApiTopLogProb(string Token, double Logprob, int[] Bytes);

public sealed record ApiTokenLogProb(string Token, double Logprob, int[] Bytes, ApiTopLogProb[] TopLogprobs);

public sealed record ApiChatLogProbs(ApiTokenLogProb[] Content);

public sealed record ApiChatMessage(string Role, string Content);

public sealed record ApiChatChoice(
    int Index, ApiChatMessage Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ApiChatLogProbs? Logprobs,
    string FinishReason);

public sealed record ApiChatCompletion(string Id, string Object, long Created, string Model, ApiChatChoice[] Choices, ApiUsage Usage);

public sealed record ApiChatDelta(string? Role, string? Content);

public sealed record ApiChatChunkChoice(
    int Index, ApiChatDelta Delta,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ApiChatLogProbs? Logprobs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

public sealed record ApiChatChunk(string Id, string Object, long Created, string Model, ApiChatChunkChoice[] Choices, ApiUsage? Usage);

/// <summary>The legacy completions logprobs: parallel arrays, top alternatives as token → logprob maps.</summary>
public sealed record ApiCompletionLogProbs(string[] Tokens, double[] TokenLogprobs, Dictionary<string, double>[] TopLogprobs, int[] TextOffset);

public sealed record ApiCompletionChoice(
    int Index, string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] ApiCompletionLogProbs? Logprobs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? FinishReason);

public sealed record ApiCompletion(string Id, string Object, long Created, string Model, ApiCompletionChoice[] Choices, ApiUsage? Usage);

public sealed record ApiModelCard(string Id, string Object, long Created, string OwnedBy, int MaxModelLen);

public sealed record ApiModelList(string Object, ApiModelCard[] Data);

public sealed record ApiErrorDetail(
    string Message, string Type,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Param,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Code);

public sealed record ApiError(ApiErrorDetail Error);

/// <summary>/health: liveness plus the load, so a client can see that a cancelled request really left the batch.</summary>
public sealed record ApiHealth(string Status, int Running, int Waiting, long GeneratedTokens, long PromptTokens);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ApiChatCompletion))]
[JsonSerializable(typeof(ApiChatChunk))]
[JsonSerializable(typeof(ApiCompletion))]
[JsonSerializable(typeof(ApiModelList))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(ApiHealth))]
public sealed partial class ServeJson : JsonSerializerContext;
