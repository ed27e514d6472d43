using Engine.Models.Audio;
using Engine.Runtime;

namespace Engine.Models.Whisper;

/// <summary>One clip's log-mel input: [n_mels, chunk frames] row-major, the frames that hold real audio, and whether the clip was cut.</summary>
public sealed record WhisperFeatures(float[] Mel, int NumMels, int Frames, int ValidFrames, bool Truncated);

/// <summary>
/// Audio → the encoder's input, as Whisper's feature extractor prepares it: 16 kHz mono, zero-padded or cut to the
/// encoder's chunk, log-mel over the whole chunk. The chunk is 2·max_source_positions mel frames: 3,000 frames = 30 s
/// for every released Whisper (exactly the extractor's input), fewer for a smaller encoder (the speech testbed's).
/// Every clip gets the same shape, so an item's encoder states never depend on the other items of its batch.
/// </summary>
public sealed class WhisperFeatureExtractor(WhisperConfig config)
{
    private readonly LogMelSpectrogram _mel = new(config.NumMelBins);

    public WhisperConfig Config { get; } = config;
    /// <summary>Samples per chunk: 480,000 (30 s) for Whisper.</summary>
    public int ChunkSamples => Config.MaxMelFrames * LogMelSpectrogram.HopLength;
    public double ChunkSeconds => (double)ChunkSamples / LogMelSpectrogram.SampleRate;

    /// <summary>Features of a 16 kHz mono waveform; a longer one is cut to the chunk (as Whisper's extractor cuts at 30 s).</summary>
    public WhisperFeatures FromWaveform(ReadOnlySpan<float> waveform16k)
    {
        var mel = _mel.ComputeChunk(waveform16k, ChunkSamples, out int frames);
        return new WhisperFeatures(mel, Config.NumMelBins, frames, LogMelSpectrogram.ValidFrames(waveform16k.Length, ChunkSamples), waveform16k.Length > ChunkSamples);
    }

    /// <summary>Features of a WAV file (any supported encoding, rate and channel count).</summary>
    public WhisperFeatures FromFile(string path) => FromWaveform(AudioLoader.LoadMono(path));

    /// <summary>Clips as one batch [B, n_mels, frames] for <see cref="WhisperEncoder.Forward"/>.</summary>
    public static Tensor Batch(IReadOnlyList<WhisperFeatures> items, Device? device = null)
    {
        if (items.Count == 0) throw new ArgumentException("No clips to batch.");
        int m = items[0].NumMels, f = items[0].Frames;
        var data = new float[items.Count * m * f];
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].NumMels != m || items[i].Frames != f)
                throw new ArgumentException($"Clip {i} has features [{items[i].NumMels}, {items[i].Frames}], clip 0 [{m}, {f}].");
            items[i].Mel.CopyTo(data, i * m * f);
        }
        var t = Tensor.FromArray(data, items.Count, m, f);
        return device is not { } d || d.IsCpu ? t : t.To(d);
    }
}
