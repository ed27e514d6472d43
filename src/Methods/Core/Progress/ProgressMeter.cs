using System.Diagnostics;

namespace Engine.Methods.Core.Progress;

/// <summary>
/// Counts items and tokens of a job's phases and shows rate (items/s, tokens/s) and ETA on a <see cref="ProgressDisplay"/>.
/// Rates count only this run's work (a resumed run's earlier records are in the count, not in the rate).
/// </summary>
public sealed class ProgressMeter(ProgressDisplay? display = null, string unit = "records") : IProgress
{
    private readonly ProgressDisplay _display = display ?? new ProgressDisplay();
    private readonly Stopwatch _clock = new();
    private string _label = "";
    private long? _total;
    private long _done, _startDone, _tokens;
    private bool _active;

    public void Begin(string label, long? total, long alreadyDone = 0)
    {
        if (_active) End();
        _label = label; _total = total; _done = _startDone = alreadyDone; _tokens = 0;
        _active = true;
        _clock.Restart();
        _display.Show(Snapshot(), force: true);
    }

    public void Advance(long items, long tokens = 0)
    {
        _done += items; _tokens += tokens;
        _display.Show(Snapshot());
    }

    public void Note(string line) => _display.Note(line);

    public void End()
    {
        if (!_active) return;
        _active = false;
        _display.Show(Snapshot(), force: true);
        _display.EndLine();
    }

    private ProgressSnapshot Snapshot()
    {
        var elapsed = _clock.Elapsed;
        double secs = Math.Max(elapsed.TotalSeconds, 1e-9);
        long thisRun = _done - _startDone;
        return new ProgressSnapshot(_label, _done, _total, elapsed,
            ItemsPerSecond: thisRun / secs, Unit: unit, TokensPerSecond: _tokens > 0 ? _tokens / secs : null,
            Eta: ProgressSnapshot.EstimateRemaining(thisRun, _done, _total, elapsed));
    }
}
