using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Methods.Core.Progress;

namespace Engine.Methods.Training.Observability;

public sealed record MetricsLoggerOptions
{
    /// <summary>File name of the metrics log inside the output folder.</summary>
    public string MetricsFileName { get; init; } = "metrics.jsonl";
    /// <summary>File name of the loss curve inside the output folder; null disables plotting.</summary>
    public string? PlotFileName { get; init; } = "loss_curve.png";
    /// <summary>Least time between progress updates; null = 0.5 s on a terminal, 10 s when stderr is redirected.</summary>
    public TimeSpan? ProgressInterval { get; init; }
    /// <summary>Redraw one line in place (terminal) or print a line per update (logs); null = decide from stderr.</summary>
    public bool? InPlace { get; init; }
    /// <summary>Train-line metrics (besides the loss) the loss curve also draws, on its right axis; e.g. a method's weights.</summary>
    public IReadOnlyList<string> PlotMetrics { get; init; } = [];
}

/// <summary>
/// Training observability: one JSON line per step and per eval in <c>metrics.jsonl</c> (flushed as written, so a
/// crash loses nothing and the file can be tailed), a throttled progress line on stderr (step/total, loss, lr,
/// tokens/s, ETA), and the loss curve PNG redrawn at each checkpoint and at the end.
/// <para>Lines: <c>{"type":"train","step","epoch","loss","lr","grad_norm","tokens","tokens_per_second","elapsed_s",...extra}</c>
/// and <c>{"type":"eval","step","eval_loss",...extra as eval_*}</c>; non-finite numbers are written as null.</para>
/// <para>On resume (<c>startStep &gt; 0</c>) the lines the checkpoint already covers are kept and later ones —
/// written after that checkpoint by the run that stopped — are dropped, so steps are never duplicated.</para>
/// </summary>
public sealed class MetricsLogger : ITrainerCallback, IDisposable
{
    private readonly MetricsLoggerOptions _options;
    private readonly TextWriter? _progress;
    private readonly bool _inPlace;
    private readonly TimeSpan _interval;
    private readonly Stopwatch _clock = new();
    private StreamWriter? _writer;
    private long _totalSteps, _startStep;
    private ProgressDisplay _display;
    private bool _plotFailed;

    public string MetricsPath { get; }
    public string? PlotPath { get; }

    /// <param name="outputDir">Folder for metrics.jsonl and the plot (created if missing).</param>
    /// <param name="progress">Where the progress line goes: stderr by default; null-writer (<see cref="TextWriter.Null"/>) for none.</param>
    public MetricsLogger(string outputDir, TextWriter? progress = null, MetricsLoggerOptions? options = null)
    {
        _options = options ?? new MetricsLoggerOptions();
        Directory.CreateDirectory(outputDir);
        MetricsPath = Path.Combine(outputDir, _options.MetricsFileName);
        PlotPath = _options.PlotFileName is null ? null : Path.Combine(outputDir, _options.PlotFileName);
        _progress = progress ?? Console.Error;
        bool terminal = ReferenceEquals(_progress, Console.Error) && !Console.IsErrorRedirected;
        _inPlace = _options.InPlace ?? terminal;
        _interval = _options.ProgressInterval ?? (terminal ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(10));
        _display = new ProgressDisplay(_progress, _inPlace, _interval);
    }

    public void OnTrainBegin(long totalSteps, long startStep)
    {
        _totalSteps = totalSteps;
        _startStep = startStep;
        _writer?.Dispose();
        if (startStep > 0 && File.Exists(MetricsPath)) KeepLinesUpTo(startStep);
        _writer = new StreamWriter(new FileStream(MetricsPath, startStep > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read),
            new UTF8Encoding(false));
        _clock.Restart();
        _display = new ProgressDisplay(_progress, _inPlace, _interval);
    }

    public void OnLog(StepMetrics m)
    {
        var o = new JsonObject
        {
            ["type"] = "train",
            ["step"] = m.Step,
            ["epoch"] = m.Epoch,
            ["loss"] = Num(m.Loss),
            ["lr"] = Num(m.LearningRate),
            ["grad_norm"] = Num(m.GradNorm),
            ["tokens"] = m.Tokens,
            ["tokens_per_second"] = Num(m.TokensPerSecond),
            ["elapsed_s"] = Num(Math.Round(_clock.Elapsed.TotalSeconds, 3)),
        };
        foreach (var (k, v) in m.Extra) o[k] = Num(v);
        Write(o);

        // The shared job display: throttled, but the last step always shows.
        _display.Show(Snapshot(m, _clock.Elapsed), force: m.Step >= _totalSteps);
    }

    public void OnEval(EvalMetrics m)
    {
        var o = new JsonObject { ["type"] = "eval", ["step"] = m.Step, ["eval_loss"] = Num(m.Loss) };
        foreach (var (k, v) in m.Extra) o[k.StartsWith("eval_", StringComparison.Ordinal) ? k : "eval_" + k] = Num(v);
        Write(o);
        var extra = string.Concat(m.Extra.Select(kv => $" | {kv.Key} {kv.Value.ToString("G5", CultureInfo.InvariantCulture)}"));
        Message($"eval @ step {m.Step}: loss {m.Loss.ToString("F4", CultureInfo.InvariantCulture)}{extra}");
    }

    public void OnCheckpoint(string directory, long step)
    {
        Message($"checkpoint @ step {step}: {directory}");
        Plot();
    }

    public void OnTrainEnd(long step)
    {
        _writer?.Flush();
        _display.EndLine();
        _progress!.WriteLine($"training done at step {step} in {FormatSpan(_clock.Elapsed)}; metrics: {MetricsPath}");
        _progress.Flush();
        Plot();
        _writer?.Dispose();
        _writer = null;
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _writer = null;
    }

    private ProgressSnapshot Snapshot(StepMetrics m, TimeSpan elapsed)
    {
        var inv = CultureInfo.InvariantCulture;
        var detail = $"epoch {m.Epoch} | loss {m.Loss.ToString("F4", inv)} | lr {m.LearningRate.ToString("0.00e+00", inv)}";
        return new ProgressSnapshot(null, m.Step, _totalSteps > 0 ? _totalSteps : null, elapsed, CountName: "step", Detail: detail,
            TokensPerSecond: m.TokensPerSecond, Eta: ProgressSnapshot.EstimateRemaining(m.Step - _startStep, m.Step, _totalSteps > 0 ? _totalSteps : null, elapsed));
    }

    private static string FormatSpan(TimeSpan t) => ProgressSnapshot.FormatSpan(t);

    private void Message(string line) => _display.Note(line);

    private void Write(JsonObject o)
    {
        if (_writer is null) throw new InvalidOperationException("MetricsLogger: OnTrainBegin must be called before metrics are logged.");
        _writer.Write(o.ToJsonString());
        _writer.Write('\n');
        _writer.Flush();
    }

    private void Plot()
    {
        if (PlotPath is null || _plotFailed) return;
        _writer?.Flush();
        try { LossCurvePlot.Write(MetricsPath, PlotPath, extraMetrics: _options.PlotMetrics); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A plot is a convenience: never stop training for it, and say so once.
            _plotFailed = true;
            Message($"warning: could not draw {PlotPath}: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>Drops lines after the resumed checkpoint's step (and any torn last line).</summary>
    private void KeepLinesUpTo(long step)
    {
        var kept = new List<string>();
        foreach (var line in File.ReadLines(MetricsPath))
        {
            try
            {
                if (JsonNode.Parse(line) is JsonObject o && o["step"] is JsonValue s && s.TryGetValue<long>(out var st) && st <= step) kept.Add(line);
            }
            catch (JsonException) { }
        }
        File.WriteAllText(MetricsPath, kept.Count == 0 ? "" : string.Join('\n', kept) + "\n", new UTF8Encoding(false));
    }

    private static JsonNode? Num(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;
}
