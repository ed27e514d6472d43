using System.Globalization;
using System.Text;

namespace Engine.Methods.Core.Progress;

/// <summary>
/// One progress line's content, and its one format, shared by record jobs and trainers:
/// <c>label: [#####...............] step 120/1000 (12.0%) | detail | 35.2 records/s | 4,120 tok/s | 00:03 | ETA 00:25</c>.
/// Parts that are unknown (label, total, count name, detail, rates, ETA) are left out.
/// </summary>
public readonly record struct ProgressSnapshot(
    string? Label, long Done, long? Total, TimeSpan Elapsed,
    string? CountName = null, string? Detail = null,
    double? ItemsPerSecond = null, string Unit = "items", double? TokensPerSecond = null, TimeSpan? Eta = null)
{
    public const int BarWidth = 20;

    public string Format()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        if (!string.IsNullOrEmpty(Label)) sb.Append(Label).Append(": ");
        if (Total is { } total && total > 0)
        {
            double frac = Math.Clamp((double)Done / total, 0, 1);
            int filled = (int)Math.Round(frac * BarWidth);
            sb.Append('[').Append('#', filled).Append('.', BarWidth - filled).Append("] ");
        }
        if (!string.IsNullOrEmpty(CountName)) sb.Append(CountName).Append(' ');
        sb.Append(Done.ToString(inv));
        if (Total is { } t)
        {
            sb.Append('/').Append(t.ToString(inv));
            if (t > 0) sb.Append(" (").Append((Math.Clamp((double)Done / t, 0, 1) * 100).ToString("F1", inv)).Append("%)");
        }
        if (!string.IsNullOrEmpty(Detail)) sb.Append(" | ").Append(Detail);
        if (ItemsPerSecond is { } ips) sb.Append(" | ").Append(ips.ToString("F1", inv)).Append(' ').Append(Unit).Append("/s");
        if (TokensPerSecond is { } tps) sb.Append(" | ").Append(tps.ToString("N0", inv)).Append(" tok/s");
        sb.Append(" | ").Append(FormatSpan(Elapsed));
        if (Eta is { } eta) sb.Append(" | ETA ").Append(FormatSpan(eta));
        return sb.ToString();
    }

    /// <summary>h:mm:ss from an hour on, else mm:ss.</summary>
    public static string FormatSpan(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes:00}:{t.Seconds:00}";

    /// <summary>Time left at the average rate so far, or null when it cannot be told (no total, nothing done yet, finished).</summary>
    public static TimeSpan? EstimateRemaining(long doneThisRun, long done, long? total, TimeSpan elapsed)
    {
        if (total is not { } t || doneThisRun <= 0 || done >= t || elapsed <= TimeSpan.Zero) return null;
        return TimeSpan.FromSeconds(elapsed.TotalSeconds / doneThisRun * (t - done));
    }
}
