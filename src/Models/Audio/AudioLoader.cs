namespace Engine.Models.Audio;

/// <summary>A WAV file as the mono 16 kHz waveform Whisper's front end expects: channels averaged, then resampled.</summary>
public static class AudioLoader
{
    public const int WhisperRate = 16_000;

    public static float[] LoadMono(string path, int targetRate = WhisperRate)
    {
        var clip = WavReader.Read(path);
        return Resampler.Resample(clip.Mono(), clip.SampleRate, targetRate);
    }
}
