using System.Text.Json.Nodes;
using Engine.Models.Audio;

namespace Engine.Tests.Speech;

/// <summary>Whisper log-mel features against tests/fixtures/audio (an independent numpy implementation, make_logmel_reference.py).</summary>
public class LogMelTests
{
    private static readonly string Dir = SpeechFixtures.Dir("audio");
    private static float[] Tone() => WavReader.Read(Path.Combine(Dir, "tone.wav")).Mono();

    private static void AssertClose(float[] want, float[] got, int rows, int wantCols, int gotCols, string what)
    {
        double worst = 0; int at = -1;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < wantCols; c++)
            {
                double d = Math.Abs(want[r * wantCols + c] - got[r * gotCols + c]);
                if (d > worst) { worst = d; at = r * wantCols + c; }
            }
        Assert.True(worst <= 2e-5, $"{what}: max |Δ| {worst:E2} at mel {at / wantCols}, frame {at % wantCols}");
    }

    [Fact]
    public void EightyMelsOfAPaddedThirtySecondInputMatchNumpy()
    {
        var reference = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, "reference.json")))!;
        var lm = new LogMelSpectrogram(80);
        var got = lm.Compute(Tone(), padToChunk: true, out int frames);
        Assert.Equal(3000, frames);
        Assert.Equal(80 * 3000, got.Length);
        int kept = reference["padded_kept_frames"]!.GetValue<int>();
        AssertClose(SpeechFixtures.ReadF32(Path.Combine(Dir, "logmel80_padded.f32")), got, 80, kept, 3000, "80 mels, padded");
        // Past the audio every value sits at the clamp: the global maximum − 8, mapped by (x + 4) / 4.
        float tail = reference["padded_tail_value"]!.GetValue<float>();
        int from = reference["padded_tail_from_frame"]!.GetValue<int>();
        for (int m = 0; m < 80; m++)
            for (int f = from; f < 3000; f++)
                Assert.True(Math.Abs(got[m * 3000 + f] - tail) <= 2e-5, $"mel {m} frame {f}: {got[m * 3000 + f]} vs clamp {tail}");
        Assert.Equal(100, LogMelSpectrogram.ValidFrames(16000));
    }

    [Fact]
    public void OneHundredTwentyEightMelsOfTheUnpaddedClipMatchNumpy()
    {
        var got = new LogMelSpectrogram(128).Compute(Tone(), padToChunk: false, out int frames);
        Assert.Equal(100, frames);
        AssertClose(SpeechFixtures.ReadF32(Path.Combine(Dir, "logmel128.f32")), got, 128, 100, 100, "128 mels");
    }

    [Fact]
    public void AShorterChunkMatchesNumpyAndTheWhisperExtractorUsesTheEncodersChunk()
    {
        var want = SpeechFixtures.ReadF32(Path.Combine(Dir, "logmel80_chunk250.f32"));
        var got = new LogMelSpectrogram(80).ComputeChunk(Tone(), 40_000, out int frames);
        Assert.Equal(250, frames);
        AssertClose(want, got, 80, 250, 250, "80 mels, 2.5 s chunk");
        Assert.Equal(100, LogMelSpectrogram.ValidFrames(16_000, 40_000));
        Assert.Equal(250, LogMelSpectrogram.ValidFrames(60_000, 40_000));

        // An encoder with 125 positions takes 250 mel frames: its extractor pads every clip to that 2.5 s chunk.
        var fx = new Engine.Models.Whisper.WhisperFeatureExtractor(new Engine.Models.Whisper.WhisperConfig { DModel = 8, EncoderLayers = 1, EncoderAttentionHeads = 2, EncoderFfnDim = 8, MaxSourcePositions = 125 });
        Assert.Equal((40_000, 2.5), (fx.ChunkSamples, fx.ChunkSeconds));
        var clip = fx.FromFile(Path.Combine(Dir, "tone.wav"));
        Assert.Equal((80, 250, 100, false), (clip.NumMels, clip.Frames, clip.ValidFrames, clip.Truncated));
        AssertClose(want, clip.Mel, 80, 250, 250, "extractor");
        var longClip = fx.FromWaveform(new float[50_000]);
        Assert.Equal((250, true), (longClip.ValidFrames, longClip.Truncated));
        var batch = Engine.Models.Whisper.WhisperFeatureExtractor.Batch([clip, longClip]);
        Assert.Equal([2, 80, 250], batch.ShapeArray());
        Assert.Equal(clip.Mel, batch.Narrow(0, 0, 1).ToFloatArray());
    }

    [Fact]
    public void SlaneyMelScaleKnownPoints()
    {
        // Linear below 1 kHz (3 mels per 200 Hz), 15 mels at 1 kHz, 27 mels per factor 6.4 above.
        Assert.Equal(7.5, MelFilterBank.HzToMel(500), 12);
        Assert.Equal(15, MelFilterBank.HzToMel(1000), 12);
        Assert.Equal(42, MelFilterBank.HzToMel(6400), 10);
        Assert.Equal(6400, MelFilterBank.MelToHz(42), 8);
    }

    [Fact]
    public void TooShortInputIsRejected() =>
        Assert.Contains("at least 201 samples", Assert.Throws<ArgumentException>(() => new LogMelSpectrogram().Compute(new float[100], padToChunk: false)).Message);
}
