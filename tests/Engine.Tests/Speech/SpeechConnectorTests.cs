using Engine.Models.Speech;
using Engine.Runtime;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Speech;

public class SpeechConnectorTests
{
    private static SpeechConnectorConfig Small(int queries = 2, QFormerWindowing w = QFormerWindowing.Fixed) => new()
    {
        EncoderWidth = 6, LlmHiddenSize = 10, HiddenSize = 8, NumHeads = 2, IntermediateSize = 12, NumLayers = 2,
        NumQueries = queries, WindowFrames = 5, WindowStride = 5, Windowing = w, InitializerRange = 0.5,
    };

    private static float[] Row(Tensor tokens, int b, int from, int count)
    {
        int l = tokens.Size(1), h = tokens.Size(2);
        return tokens.ToArray<float>().Skip((b * l + from) * h).Take(count * h).ToArray();
    }

    /// <summary>tests/fixtures/speech (make_connector_reference.py): a hand-written float64 PyTorch forward of the same connector.</summary>
    [Fact]
    public void ForwardMatchesTheTorchReference()
    {
        var dir = Path.Combine(SpeechFixtures.Dir("speech"), "connector_tiny");
        var r = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "reference.json")))!;
        int[] Ints(string k) => r[k]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        var states = Tensor.FromArray(r["states"]!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray(), Ints("states_shape"));
        var want = r["output"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
        var c = SpeechConnector.Load(dir);
        Assert.Equal((4, 3, 2), (c.Config.WindowFrames, c.Config.WindowStride, c.Config.NumQueries));
        using var _ = Autograd.NoGrad();
        var s = c.Forward(states, Ints("valid_frames"));
        Assert.Equal(Ints("output_shape"), s.Embeddings.ShapeArray());
        Assert.Equal(Ints("lengths"), s.Lengths);
        var got = s.Embeddings.ToDoubleArray();
        double scale = want.Average(Math.Abs), worst = 0;
        for (int i = 0; i < want.Length; i++) worst = Math.Max(worst, Math.Abs(want[i] - got[i]) / Math.Max(Math.Abs(want[i]), scale));
        Assert.True(worst <= 1e-4, $"max relative error {worst:E2} > 1e-4");
    }

    [Fact]
    public void WindowsCoverEachItemsFramesAndGiveQueriesPerWindow()
    {
        var c = SpeechConnector.CreateRandom(Small(), 1);
        using var _ = Autograd.NoGrad();
        var s = c.Forward(Rand.N(2, DType.F32, 2, 13, 6), [13, 6]);
        // 13 frames in windows of 5: 3 windows (the last covers frames 10–12); 6 frames: 2 windows. 2 queries each.
        Assert.Equal([2, 6, 10], s.Embeddings.ShapeArray());
        Assert.Equal([6, 4], s.Lengths);
        Assert.Equal(3, SpeechWindows.FixedCount(13, 5, 5));
        Assert.Equal(1, SpeechWindows.FixedCount(1, 17, 17));
        // 30 s of Whisper frames: 88 full windows and the 4-frame tail (which the released code's unfold drops).
        Assert.Equal(89, SpeechWindows.FixedCount(1500, 17, 17));
        Assert.True(s.Embeddings.ToArray<float>().All(float.IsFinite));
    }

    [Fact]
    public void EachTokenSeesOnlyItsOwnWindowAndNeverThePadding()
    {
        var c = SpeechConnector.CreateRandom(Small(queries: 1), 2);
        var x = Rand.N(3, DType.F32, 2, 13, 6);
        using var _ = Autograd.NoGrad();
        var baseTokens = c.Forward(x, [13, 7]).Embeddings;

        // Change item 1's padding (frames 7..12) and item 0's third window (frames 10..12).
        var data = x.ToArray<float>();
        for (int t = 7; t < 13; t++) for (int d = 0; d < 6; d++) data[(13 + t) * 6 + d] += 5;
        for (int t = 10; t < 13; t++) for (int d = 0; d < 6; d++) data[t * 6 + d] -= 3;
        var moved = c.Forward(Tensor.FromArray(data, 2, 13, 6), [13, 7]).Embeddings;

        Assert.Equal(Row(baseTokens, 1, 0, 2), Row(moved, 1, 0, 2));          // item 1: 2 real windows, padding masked
        Assert.Equal(Row(baseTokens, 0, 0, 2), Row(moved, 0, 0, 2));          // item 0, windows 0–1 untouched
        Assert.NotEqual(Row(baseTokens, 0, 2, 1), Row(moved, 0, 2, 1));       // item 0, window 2 changed

        // Frames inside item 1's real range do reach its tokens.
        data[(13 + 6) * 6] += 1;
        Assert.NotEqual(Row(moved, 1, 1, 1), Row(c.Forward(Tensor.FromArray(data, 2, 13, 6), [13, 7]).Embeddings, 1, 1, 1));
    }

    [Fact]
    public void OverlappingWindowsUseTheStride()
    {
        var cfg = Small(queries: 1) with { WindowFrames = 4, WindowStride = 2 };
        var plan = SpeechWindows.Plan(cfg, [9, 3], 9);
        // 9 frames, k 4, s 2: windows start at 0, 2, 4, 6 (the last covers 6–9, frame 9 masked).
        Assert.Equal(4, plan.Count);
        Assert.Equal([4, 1], plan.WindowsPerItem);
        Assert.Equal([1L, 1, 1, 0], plan.Mask.Skip(3 * 4).Take(4).ToArray());
        using var _ = Autograd.NoGrad();
        var x = Rand.N(5, DType.F32, 2, 9, 6);
        var cut = plan.Cut(x);
        Assert.Equal([8, 4, 6], cut.ShapeArray());
        // Window 1 of item 0 is frames 2..5.
        Assert.Equal(x.ToArray<float>().Skip(2 * 6).Take(4 * 6), cut.ToArray<float>().Skip(1 * 4 * 6).Take(4 * 6));
        Assert.Equal([2, 4, 10], SpeechConnector.CreateRandom(cfg, 3).Forward(x, [9, 3]).Embeddings.ShapeArray());
    }

    [Fact]
    public void BatchRelativeWindowsFollowTheReleasedCode()
    {
        var cfg = Small(queries: 1, QFormerWindowing.BatchRelative);
        var full = SpeechWindows.Plan(cfg, [1500, 700], 1500);
        Assert.Equal((17, 88), (full.Size, full.Count));           // 30 s: k = round(1500/90) = 17, ⌊(1500 − 17)/17⌋ + 1
        Assert.Equal([88, 88], full.WindowsPerItem);                // every row the same, no mask
        Assert.True(full.Mask.All(m => m == 1));
        var shortBatch = SpeechWindows.Plan(cfg, [300, 120], 300);
        Assert.Equal((3, 100), (shortBatch.Size, shortBatch.Count)); // shorter batches: smaller windows, still ~90 tokens
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var c = SpeechConnector.CreateRandom(Small(), 4, DType.F64);
        c.RequireGrad();
        var p = c.Parameters;
        Tensor[] inputs =
        [
            Rand.Param(6, 2, 11, 6), p["speech_query_tokens"], p["ln_speech.weight"],
            p["speech_Qformer.bert.encoder.layer.0.crossattention.self.key.weight"],
            p["speech_Qformer.bert.encoder.layer.1.attention.self.value.weight"],
            p["speech_Qformer.bert.encoder.layer.1.intermediate_query.dense.weight"], p["speech_llama_proj.weight"],
        ];
        GradCheck.Check(xs => c.Forward(xs[0], [11, 4]).Embeddings, inputs, maxPerInput: 40);
    }

    [Fact]
    public void SaveAndLoadRoundTrip()
    {
        var dir = SpeechFixtures.TempDir("qf");
        try
        {
            var a = SpeechConnector.CreateRandom(Small(w: QFormerWindowing.BatchRelative), 7);
            a.Save(dir);
            var b = SpeechConnector.Load(dir);
            Assert.Equal(a.Config, b.Config);
            var x = Rand.N(8, DType.F32, 1, 10, 6);
            using var _ = Autograd.NoGrad();
            Assert.Equal(a.Forward(x, [10]).Embeddings.ToArray<float>(), b.Forward(x, [10]).Embeddings.ToArray<float>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BadInputsAreNamed()
    {
        var c = SpeechConnector.CreateRandom(Small(), 1);
        Assert.Contains("[batch, frames, 6]", Assert.Throws<ArgumentException>(() => c.Forward(Tensor.Zeros([1, 5, 7]), [5])).Message);
        Assert.Contains("outside 0..5", Assert.Throws<ArgumentException>(() => c.Forward(Tensor.Zeros([1, 5, 6]), [6])).Message);
        Assert.Contains("1 valid-frame counts for a batch of 2", Assert.Throws<ArgumentException>(() => c.Forward(Tensor.Zeros([2, 5, 6]), [5])).Message);
    }
}
