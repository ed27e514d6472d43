using System.Text.Json.Nodes;
using Engine.Models.Checkpoints;
using Engine.Models.Whisper;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Speech;

/// <summary>The Whisper encoder against tests/fixtures/whisper (a hand-written float64 PyTorch forward, make_reference.py).</summary>
public class WhisperEncoderTests
{
    private static readonly string Dir = Path.Combine(SpeechFixtures.Dir("whisper"), "whisper_tiny");

    private static (Tensor Input, double[] Output, int[] OutShape) Case(string name)
    {
        var c = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, "reference.json")))![name]!;
        int[] Shape(string k) => c[k]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        var x = c["input"]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();
        return (Tensor.FromArray(x, Shape("input_shape")), c["output"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray(), Shape("output_shape"));
    }

    private static double MaxRelError(double[] want, double[] got)
    {
        double scale = want.Average(Math.Abs), worst = 0;
        for (int i = 0; i < want.Length; i++) worst = Math.Max(worst, Math.Abs(want[i] - got[i]) / Math.Max(Math.Abs(want[i]), scale));
        return worst;
    }

    [Theory]
    [InlineData("full")]    // 2·max_source_positions mel frames: Whisper's own input length
    [InlineData("short")]   // 13 frames → 7 positions: the first positions only
    public void ForwardMatchesTheTorchReference(string name)
    {
        var enc = WhisperEncoder.Load(Dir);
        var (x, want, shape) = Case(name);
        using var _ = Autograd.NoGrad();
        var y = enc.Forward(x);
        Assert.Equal(shape, y.ShapeArray());
        Assert.Equal(WhisperEncoder.EncodedLength(x.Size(2)), y.Size(1));
        double err = MaxRelError(want, y.ToDoubleArray());
        Assert.True(err <= 1e-4, $"{name}: max relative error {err:E2} > 1e-4");
    }

    [Fact]
    public void ComputedSinusoidsEqualTheCheckpoints()
    {
        var enc = WhisperEncoder.Load(Dir);
        Close.All(enc.Positions.ToDoubleArray(), WhisperSinusoids.Create(10, 16).ToDoubleArray(), 1e-6, 1e-6, "positions");
    }

    [Fact]
    public void AWhisperModelFolderWithEncoderPrefixLoadsTheSame()
    {
        var dir = SpeechFixtures.TempDir("wm");
        try
        {
            using (var ckpt = CheckpointFolder.Open(Dir))
                CheckpointFolder.Save(dir, ckpt.Names.Where(n => n.StartsWith("model.encoder.")).Select(n => new KeyValuePair<string, Tensor>(n["model.".Length..], ckpt.Load(n))).ToList());
            File.Copy(Path.Combine(Dir, "config.json"), Path.Combine(dir, "config.json"));
            var (x, want, _) = Case("full");
            using var _ = Autograd.NoGrad();
            Assert.True(MaxRelError(want, WhisperEncoder.Load(dir).Forward(x).ToDoubleArray()) <= 1e-4);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SaveAndReloadGiveTheSameEncoder()
    {
        var dir = SpeechFixtures.TempDir("ws");
        try
        {
            var cfg = new WhisperConfig { NumMelBins = 6, DModel = 8, EncoderLayers = 1, EncoderAttentionHeads = 2, EncoderFfnDim = 12, MaxSourcePositions = 5 };
            var a = WhisperEncoder.CreateRandom(cfg, 3);
            a.Save(dir);
            var b = WhisperEncoder.Load(dir);
            var x = Rand.N(4, DType.F32, 1, 6, 9);
            using var _ = Autograd.NoGrad();
            Assert.Equal(a.Forward(x).ToArray<float>(), b.Forward(x).ToArray<float>());
            Assert.Equal(a.ParameterCount, b.ParameterCount);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void GradientsReachTheConvWeightsWhenTrainable()
    {
        var cfg = new WhisperConfig { NumMelBins = 4, DModel = 8, EncoderLayers = 1, EncoderAttentionHeads = 2, EncoderFfnDim = 8, MaxSourcePositions = 6 };
        var enc = WhisperEncoder.CreateRandom(cfg, 9, DType.F64);
        enc.RequireGrad();
        GradCheck.Check(xs => enc.Forward(xs[0]), [Rand.Param(5, 1, 4, 11), enc.Conv1Weight, enc.Conv2Weight, enc.Layers[0].Fc1.Weight], maxPerInput: 24);
    }

    [Fact]
    public void WrongInputsAndConfigsAreNamed()
    {
        var enc = WhisperEncoder.Load(Dir);
        Assert.Contains("[batch, 12, frames]", Assert.Throws<ArgumentException>(() => enc.Forward(Tensor.Zeros([1, 8, 20]))).Message);
        Assert.Contains("at most 20", Assert.Throws<ArgumentException>(() => enc.Forward(Tensor.Zeros([1, 12, 22]))).Message);
        var bad = JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, "config.json")))!.AsObject();
        bad["model_type"] = "llama";
        Assert.Contains("not 'whisper'", Assert.Throws<InvalidDataException>(() => WhisperConfig.FromJson(bad)).Message);
    }
}
