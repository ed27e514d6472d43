using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Engine.Methods.Training;
using Engine.Methods.Training.Observability;

namespace Engine.Tests.TrainingData;

public class ObservabilityTests
{
    private static readonly Dictionary<string, double> NoExtra = [];

    private static StepMetrics Step(long step, double loss, IReadOnlyDictionary<string, double>? extra = null) =>
        new(step, Epoch: (int)(step / 50), Loss: loss, LearningRate: 1e-4 * (1 - step / 400.0), GradNorm: 0.5 + step * 0.001,
            Tokens: step * 512, TokensPerSecond: 1234.5, Extra: extra ?? NoExtra);

    /// <summary>A loss that falls like training does, with deterministic wiggle.</summary>
    private static double Loss(long s) => 4.0 * Math.Exp(-s / 120.0) + 1.2 + 0.15 * Math.Sin(s * 1.7);

    private static List<JsonObject> Lines(string path) =>
        File.ReadAllLines(path).Select(l => (JsonObject)JsonNode.Parse(l)!).ToList();

    [Fact]
    public void MetricsJsonlHasOneParsableLinePerStepAndEval()
    {
        using var dir = new TempDir();
        var progress = new StringWriter();
        using var log = new MetricsLogger(dir.Path, progress, new MetricsLoggerOptions { ProgressInterval = TimeSpan.Zero, InPlace = false, PlotFileName = null });
        log.OnTrainBegin(10, 0);
        for (int s = 1; s <= 10; s++)
        {
            log.OnLog(Step(s, Loss(s), new Dictionary<string, double> { ["kl"] = s * 0.01 }));
            if (s == 5) log.OnEval(new EvalMetrics(5, 2.5, new Dictionary<string, double> { ["accuracy"] = 0.75 }));
            // Flushed as written: the file is readable mid-run.
            Assert.Equal(s + (s >= 5 ? 1 : 0), File.ReadAllLines(log.MetricsPath).Length);
        }
        log.OnTrainEnd(10);

        var lines = Lines(log.MetricsPath);
        var train = lines.Where(l => l["type"]!.GetValue<string>() == "train").ToList();
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), train.Select(l => l["step"]!.GetValue<long>()));
        Assert.Equal(Loss(3), train[2]["loss"]!.GetValue<double>(), 12);
        Assert.Equal(0.03, train[2]["kl"]!.GetValue<double>(), 12);
        Assert.Equal(3 * 512, train[2]["tokens"]!.GetValue<long>());
        foreach (var key in new[] { "epoch", "lr", "grad_norm", "tokens_per_second", "elapsed_s" }) Assert.True(train[0].ContainsKey(key), key);
        var eval = lines.Single(l => l["type"]!.GetValue<string>() == "eval");
        Assert.Equal(2.5, eval["eval_loss"]!.GetValue<double>());
        Assert.Equal(0.75, eval["eval_accuracy"]!.GetValue<double>());

        var text = progress.ToString();
        Assert.Contains("step 10/10 (100.0%)", text);
        Assert.Contains("tok/s", text);
        Assert.Contains("ETA", text);               // shown before the last step
        Assert.Contains("eval @ step 5: loss 2.5000", text);
    }

    [Fact]
    public void ProgressIsThrottledButTheLastStepAlwaysShows()
    {
        using var dir = new TempDir();
        var progress = new StringWriter();
        using var log = new MetricsLogger(dir.Path, progress, new MetricsLoggerOptions { ProgressInterval = TimeSpan.FromHours(1), InPlace = false, PlotFileName = null });
        log.OnTrainBegin(200, 0);
        for (int s = 1; s <= 200; s++) log.OnLog(Step(s, Loss(s)));
        var stepLines = progress.ToString().Split('\n').Where(l => l.Contains("] step ")).ToList();
        Assert.Equal(2, stepLines.Count);
        Assert.Contains("step 1/200", stepLines[0]);
        Assert.Contains("step 200/200", stepLines[1]);
    }

    [Fact]
    public void InPlaceProgressRedrawsOneLine()
    {
        using var dir = new TempDir();
        var progress = new StringWriter();
        using var log = new MetricsLogger(dir.Path, progress, new MetricsLoggerOptions { ProgressInterval = TimeSpan.Zero, InPlace = true, PlotFileName = null });
        log.OnTrainBegin(3, 0);
        for (int s = 1; s <= 3; s++) log.OnLog(Step(s, Loss(s)));
        var text = progress.ToString();
        Assert.Equal(3, text.Count(c => c == '\r'));
        Assert.DoesNotContain('\n', text);
    }

    [Fact]
    public void NonFiniteLossIsWrittenAsNull()
    {
        using var dir = new TempDir();
        using var log = new MetricsLogger(dir.Path, TextWriter.Null, new MetricsLoggerOptions { PlotFileName = null });
        log.OnTrainBegin(2, 0);
        log.OnLog(Step(1, double.NaN));
        log.OnLog(Step(2, double.PositiveInfinity));
        var lines = Lines(log.MetricsPath);
        Assert.All(lines, l => { Assert.True(l.ContainsKey("loss")); Assert.Null(l["loss"]); });
    }

    [Fact]
    public void ResumeDropsLinesAfterTheCheckpointStep()
    {
        using var dir = new TempDir();
        var opts = new MetricsLoggerOptions { PlotFileName = null };
        using (var first = new MetricsLogger(dir.Path, TextWriter.Null, opts))
        {
            first.OnTrainBegin(20, 0);
            for (int s = 1; s <= 9; s++) first.OnLog(Step(s, Loss(s)));
            first.OnEval(new EvalMetrics(4, 3.0, NoExtra));
            first.OnEval(new EvalMetrics(8, 2.0, NoExtra));
            // Crash here; the last checkpoint was at step 6.
        }
        using var second = new MetricsLogger(dir.Path, TextWriter.Null, opts);
        second.OnTrainBegin(20, 6);
        second.OnLog(Step(7, Loss(7)));
        var lines = Lines(second.MetricsPath);
        Assert.Equal([1L, 2, 3, 4, 4, 5, 6, 7], lines.Select(l => l["step"]!.GetValue<long>()).Order());
        Assert.Single(lines, l => l["type"]!.GetValue<string>() == "eval");
    }

    [Fact]
    public void LossCurvePngIsWrittenOnCheckpointAndAtTheEnd()
    {
        using var dir = new TempDir();
        using var log = new MetricsLogger(dir.Path, TextWriter.Null);
        log.OnTrainBegin(300, 0);
        for (int s = 1; s <= 150; s++) log.OnLog(Step(s, Loss(s)));
        log.OnEval(new EvalMetrics(150, Loss(150) + 0.1, NoExtra));
        log.OnCheckpoint(dir.File("checkpoint-150"), 150);
        Assert.True(File.Exists(log.PlotPath));
        var firstSize = new FileInfo(log.PlotPath!).Length;
        for (int s = 151; s <= 300; s++) log.OnLog(Step(s, Loss(s)));
        log.OnEval(new EvalMetrics(300, Loss(300) + 0.1, NoExtra));
        log.OnTrainEnd(300);
        AssertPng(log.PlotPath!, 900, 540);
        Assert.NotEqual(firstSize, new FileInfo(log.PlotPath!).Length);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp.png"));
    }

    [Fact]
    public void PlotDrawsTheCurveNotABlankImage()
    {
        using var dir = new TempDir();
        var metrics = dir.Write("metrics.jsonl", Enumerable.Range(1, 60).Select(s =>
            $$"""{"type":"train","step":{{s}},"loss":{{Loss(s).ToString(System.Globalization.CultureInfo.InvariantCulture)}}}""")
            .Append("""{"type":"eval","step":30,"eval_loss":3.1}""").Append("""{"type":"eval","step":60,"eval_loss":2.6}""")
            .Append("""{"type":"train","step":61,"loss":null}""").Append("""{"torn line""").ToArray());
        var (train, eval) = LossCurvePlot.ReadMetrics(metrics);
        Assert.Equal(60, train.Steps.Length);
        Assert.Equal([30.0, 60.0], eval.Steps);

        var png = dir.File("loss.png");
        LossCurvePlot.Write(metrics, png, 640, 400);
        AssertPng(png, 640, 400);
        using var bmp = SkiaSharp.SKBitmap.Decode(png);
        Assert.Equal((640, 400), (bmp.Width, bmp.Height));
        // The eval points are drawn in orange-red and the train curve in steel blue: both colours must be present.
        int orange = 0, blue = 0;
        for (int y = 0; y < bmp.Height; y++)
            for (int x = 0; x < bmp.Width; x++)
            {
                var c = bmp.GetPixel(x, y);
                if (c.Red > 200 && c.Green < 120 && c.Blue < 80) orange++;
                if (c.Blue > 150 && c.Red < 120 && c.Green > 90 && c.Green < 160) blue++;
            }
        Assert.True(orange > 50, $"orange pixels {orange}");
        Assert.True(blue > 200, $"blue pixels {blue}");
    }

    private static void AssertPng(string path, int width, int height)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 1000, $"PNG is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}
