namespace Engine.Models.Chat;

/// <summary>One turn of a conversation as chat templates see it: message.role, message.content.</summary>
public sealed record ChatMessage(string Role, string Content);
