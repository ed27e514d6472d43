using Engine.Runtime;

namespace Engine.Models.Speech;

/// <summary>
/// The connector's output: speech tokens [B, Lmax, H_llm] in the LLM's embedding space, and how many of each row's
/// tokens are real (the rest are windows past that item's audio and must not reach the LLM).
/// </summary>
public sealed record SpeechTokens(Tensor Embeddings, int[] Lengths);
