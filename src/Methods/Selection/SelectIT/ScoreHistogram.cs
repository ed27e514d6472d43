using System.Globalization;

namespace Engine.Methods.Selection.SelectIT;

/// <summary>A PNG histogram of the final scores with the selection threshold marked.</summary>
public static class ScoreHistogram
{
    public static (double[] edges, int[] counts) Bins(IReadOnlyList<double> scores, int bins)
    {
        double lo = scores.Min(), hi = scores.Max();
        if (hi <= lo) hi = lo + 1e-9;
        var counts = new int[bins];
        foreach (var s in scores) counts[Math.Min(bins - 1, (int)((s - lo) / (hi - lo) * bins))]++;
        var edges = Enumerable.Range(0, bins + 1).Select(i => lo + (hi - lo) * i / bins).ToArray();
        return (edges, counts);
    }

    public static void Write(IReadOnlyList<double> scores, double? threshold, string pngPath, int bins = 40)
    {
        if (scores.Count == 0) return;
        var (edges, counts) = Bins(scores, bins);
        var plot = new ScottPlot.Plot();
        double width = edges[1] - edges[0];
        var bars = plot.Add.Bars(edges.Take(bins).Select(e => e + width / 2).ToArray(), counts.Select(c => (double)c).ToArray());
        foreach (var b in bars.Bars) b.Size = width * 0.95;
        if (threshold is { } t)
        {
            var line = plot.Add.VerticalLine(t);
            line.LegendText = string.Create(CultureInfo.InvariantCulture, $"selection threshold {t:G4}");
            line.Color = ScottPlot.Colors.OrangeRed;
            plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        }
        plot.Title($"SelectIT scores ({scores.Count} records)");
        plot.XLabel("S_model");
        plot.YLabel("records");
        var dir = Path.GetDirectoryName(Path.GetFullPath(pngPath))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(pngPath)}.{Environment.ProcessId}.tmp.png");
        plot.SavePng(tmp, 900, 540);
        File.Move(tmp, pngPath, overwrite: true);
    }
}
