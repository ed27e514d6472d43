using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Methods.Training.Observability;

/// <summary>
/// Draws train loss (raw and smoothed) and eval loss against step from a metrics.jsonl, as a PNG; optionally other
/// train-line metrics (a method's own, e.g. CCL's mean weight and consistency) on a second axis at the right.
/// </summary>
public static class LossCurvePlot
{
    public sealed record Series(double[] Steps, double[] Values);

    /// <summary>Reads (step, loss) for type "train" and (step, eval_loss) for type "eval"; null losses and torn lines are skipped.</summary>
    public static (Series Train, Series Eval) ReadMetrics(string metricsJsonlPath)
    {
        var ts = new List<double>(); var tl = new List<double>();
        var es = new List<double>(); var el = new List<double>();
        foreach (var line in File.ReadLines(metricsJsonlPath))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? o;
            try { o = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { continue; }
            if (o is null || !TryDouble(o["step"], out var step)) continue;
            var type = o["type"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : null;
            if (type == "eval" && TryDouble(o["eval_loss"], out var e)) { es.Add(step); el.Add(e); }
            else if (type is null or "train" && TryDouble(o["loss"], out var l)) { ts.Add(step); tl.Add(l); }
        }
        return (new Series([.. ts], [.. tl]), new Series([.. es], [.. el]));
    }

    /// <summary>(step, value) of the train lines that have <paramref name="key"/> as a finite number.</summary>
    public static Series ReadTrainMetric(string metricsJsonlPath, string key)
    {
        var s = new List<double>(); var v = new List<double>();
        foreach (var line in File.ReadLines(metricsJsonlPath))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? o;
            try { o = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { continue; }
            if (o is null || !TryDouble(o["step"], out var step)) continue;
            var type = o["type"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : null;
            if (type is null or "train" && TryDouble(o[key], out var x)) { s.Add(step); v.Add(x); }
        }
        return new Series([.. s], [.. v]);
    }

    /// <param name="extraMetrics">Train-line metric names drawn against the right axis (missing ones are skipped).</param>
    public static void Write(string metricsJsonlPath, string pngPath, int width = 900, int height = 540, IReadOnlyList<string>? extraMetrics = null)
    {
        var (train, eval) = ReadMetrics(metricsJsonlPath);
        var plot = new ScottPlot.Plot();
        if (train.Steps.Length > 0)
        {
            var raw = plot.Add.ScatterLine(train.Steps, train.Values);
            raw.LegendText = "train loss";
            raw.LineWidth = 1;
            raw.Color = ScottPlot.Colors.SteelBlue.WithAlpha(train.Steps.Length > 20 ? 0.35 : 1.0);
            if (train.Steps.Length > 20)
            {
                var smooth = plot.Add.ScatterLine(train.Steps, Ema(train.Values, 2.0 / (1 + Math.Max(5, train.Steps.Length / 10))));
                smooth.LegendText = "train loss (smoothed)";
                smooth.LineWidth = 2;
                smooth.Color = ScottPlot.Colors.SteelBlue;
            }
        }
        if (eval.Steps.Length > 0)
        {
            var ev = plot.Add.Scatter(eval.Steps, eval.Values);
            ev.LegendText = "eval loss";
            ev.LineWidth = 2;
            ev.MarkerSize = 7;
            ev.Color = ScottPlot.Colors.OrangeRed;
        }
        var palette = new ScottPlot.Palettes.Category10();
        int drawn = 0;
        foreach (var key in extraMetrics ?? [])
        {
            var series = ReadTrainMetric(metricsJsonlPath, key);
            if (series.Steps.Length == 0) continue;
            var line = plot.Add.ScatterLine(series.Steps, series.Values);
            line.Axes.YAxis = plot.Axes.Right;
            line.LegendText = key + " (right axis)";
            line.LineWidth = 2;
            line.LinePattern = ScottPlot.LinePattern.Dashed;
            line.Color = palette.GetColor(2 + drawn++);
        }
        if (drawn > 0) plot.Axes.Right.Label.Text = string.Join(", ", extraMetrics!);
        plot.Title(train.Steps.Length + eval.Steps.Length == 0 ? "loss (no data yet)" : "loss");
        plot.XLabel("step");
        plot.YLabel("loss");
        if (train.Steps.Length + eval.Steps.Length > 0) plot.ShowLegend(ScottPlot.Alignment.UpperRight);

        // Write next to the target and move, so a reader never sees a half-written PNG.
        var dir = Path.GetDirectoryName(Path.GetFullPath(pngPath))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(pngPath)}.{Environment.ProcessId}.tmp.png");
        plot.SavePng(tmp, width, height);
        File.Move(tmp, pngPath, overwrite: true);
    }

    private static double[] Ema(double[] v, double alpha)
    {
        var r = new double[v.Length];
        double s = v[0];
        for (int i = 0; i < v.Length; i++) r[i] = s = alpha * v[i] + (1 - alpha) * s;
        return r;
    }

    private static bool TryDouble(JsonNode? n, out double d)
    {
        d = 0;
        return n is JsonValue v && v.GetValueKind() == JsonValueKind.Number &&
               double.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out d);
    }
}
