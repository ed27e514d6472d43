namespace Engine.Models.Chat;

/// <summary>A chat template could not be parsed or rendered, or it called raise_exception()
/// (e.g. Mistral's "conversation roles must alternate").</summary>
public sealed class ChatTemplateException(string message) : Exception(message);
