namespace Engine.Models.Audio;

/// <summary>A WAV file that cannot be read; the message names the file and the field or chunk at fault.</summary>
public sealed class WavFormatException(string message) : IOException(message);
