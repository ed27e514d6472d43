using System.Globalization;

namespace Engine.Methods.Selection.CDT;

/// <summary>A PNG of the composite-capability histogram: the most frequent capabilities as labelled horizontal bars, with coverage and balance in the title.</summary>
public static class CombinationPlot
{
    public static void Write(CdtDatasetMetrics m, string pngPath, int top = 30)
    {
        var rows = m.Combinations.OrderByDescending(x => x.Value).ThenBy(x => x.Key.ToString(), StringComparer.Ordinal).Take(top).ToArray();
        var plot = new ScottPlot.Plot();
        if (rows.Length > 0)
        {
            // Largest at the top: position 0 is the bottom bar.
            var positions = Enumerable.Range(0, rows.Length).Select(i => (double)(rows.Length - 1 - i)).ToArray();
            var bars = plot.Add.Bars(positions, rows.Select(r => (double)r.Value).ToArray());
            bars.Horizontal = true;
            foreach (var b in bars.Bars) b.Size = 0.8;
            plot.Axes.Left.SetTicks(positions, rows.Select(r => r.Key.ToString()).ToArray());
        }
        var shown = m.Combinations.Count > rows.Length ? $" (top {rows.Length} shown)" : "";
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"{m.Distinct} capabilities in {m.Tagged} tagged records: coverage {m.Coverage:P3} of {m.Denominator:N0}, balance {m.Balance:F3} bits{shown}"));
        plot.XLabel("records");
        var dir = Path.GetDirectoryName(Path.GetFullPath(pngPath))!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileNameWithoutExtension(pngPath)}.{Environment.ProcessId}.tmp.png");
        plot.SavePng(tmp, 1200, Math.Max(400, 120 + 22 * rows.Length));
        File.Move(tmp, pngPath, overwrite: true);
    }
}
