using System.Diagnostics;

namespace Engine.Cli.Infrastructure;

/// <summary>
/// Progress for long jobs on stderr: a redrawn bar on a terminal, a line every few seconds when
/// redirected (logs, CI). Reports items/s, tokens/s and ETA.
/// </summary>
public sealed class ProgressReporter : IDisposable
{
    private readonly string _label;
    private readonly long? _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private long _done, _tokens, _startDone;
    private double _lastDraw = double.NegativeInfinity;

    public ProgressReporter(string label, long? total, long alreadyDone = 0)
    {
        _label = label; _total = total; _done = alreadyDone; _startDone = alreadyDone;
    }

    public void Add(long items, long tokens = 0)
    {
        _done += items; _tokens += tokens;
        var now = _clock.Elapsed.TotalSeconds;
        if (now - _lastDraw < (_interactive ? 0.2 : 5)) return;
        _lastDraw = now;
        Draw(final: false);
    }

    private void Draw(bool final)
    {
        var secs = Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);
        var rate = (_done - _startDone) / secs;
        var tps = _tokens / secs;
        string eta = _total is { } t && rate > 0 && !final ? $" ETA {TimeSpan.FromSeconds((t - _done) / rate):hh\\:mm\\:ss}" : "";
        string count = _total is { } tt ? $"{_done}/{tt}" : $"{_done}";
        string bar = "";
        if (_total is { } tot && tot > 0)
        {
            int w = 24, filled = (int)Math.Clamp(w * _done / tot, 0, w);
            bar = "[" + new string('#', filled) + new string('.', w - filled) + "] ";
        }
        var line = $"{_label}: {bar}{count} ({rate:F1}/s{(_tokens > 0 ? $", {tps:F0} tok/s" : "")}){eta}";
        if (_interactive) Console.Error.Write("\r" + line.PadRight(Math.Min(Console.BufferWidth > 0 ? Console.BufferWidth - 1 : 100, 120)));
        else Console.Error.WriteLine(line);
        if (final && _interactive) Console.Error.WriteLine();
    }

    public void Dispose() => Draw(final: true);
}
