namespace Engine.Methods.Core.Progress;

/// <summary>
/// The one progress display of long jobs and trainers: on a terminal it redraws one line in place, when the stream is
/// redirected (logs, CI) it prints a line per update; updates are throttled to <c>interval</c> unless forced, and
/// <see cref="Note"/> prints a message line without tearing the progress line.
/// </summary>
public sealed class ProgressDisplay
{
    private readonly TextWriter _out;
    private readonly bool _inPlace;
    private readonly TimeSpan _interval;
    private TimeSpan? _lastShown;
    private int _lastLength;

    /// <param name="output">Where lines go (default stderr).</param>
    /// <param name="inPlace">Redraw one line (default: only when writing to stderr on a terminal).</param>
    /// <param name="interval">Least time between unforced updates (default 0.5 s in place, 10 s as lines).</param>
    public ProgressDisplay(TextWriter? output = null, bool? inPlace = null, TimeSpan? interval = null)
    {
        _out = output ?? Console.Error;
        bool terminal = ReferenceEquals(_out, Console.Error) && !Console.IsErrorRedirected;
        _inPlace = inPlace ?? terminal;
        _interval = interval ?? (_inPlace ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(10));
    }

    /// <summary>Draw <paramref name="s"/> if the interval has passed since the last update (always when forced); true when drawn.</summary>
    public bool Show(ProgressSnapshot s, bool force = false)
    {
        if (!force && _lastShown is { } last && s.Elapsed - last < _interval) return false;
        _lastShown = s.Elapsed;
        var line = s.Format();
        if (_inPlace)
        {
            // Pad over the previous, possibly longer, line.
            _out.Write("\r" + line.PadRight(_lastLength));
            _lastLength = line.Length;
        }
        else _out.WriteLine(line);
        _out.Flush();
        return true;
    }

    /// <summary>A message on its own line (ends an in-place line first).</summary>
    public void Note(string line)
    {
        EndLine();
        _out.WriteLine(line);
        _out.Flush();
    }

    /// <summary>Leave the in-place line as it is and move below it.</summary>
    public void EndLine()
    {
        if (_inPlace && _lastLength > 0) { _out.WriteLine(); _lastLength = 0; }
    }
}
