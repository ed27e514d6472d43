namespace Engine.Methods.Core.Progress;

/// <summary>
/// Where a long job reports how far it is. Methods take one (null = silent); the CLI passes a <see cref="ProgressMeter"/>
/// on stderr, tests a meter on a <see cref="StringWriter"/>.
/// </summary>
public interface IProgress
{
    /// <summary>A (new) phase: its label, the total when known (for the bar and ETA), and what was already done before this run (resume).</summary>
    void Begin(string label, long? total, long alreadyDone = 0);
    /// <summary>Items finished (records, samples), and tokens processed for them.</summary>
    void Advance(long items, long tokens = 0);
    /// <summary>A message line (a skipped record, a phase done) printed without tearing the progress line.</summary>
    void Note(string line);
    /// <summary>The phase is over: draw its final line.</summary>
    void End();
}

/// <summary>Reports nothing.</summary>
public sealed class NullProgress : IProgress
{
    public static readonly NullProgress Instance = new();
    public void Begin(string label, long? total, long alreadyDone = 0) { }
    public void Advance(long items, long tokens = 0) { }
    public void Note(string line) { }
    public void End() { }
}

/// <summary>Forwards notes to a log callback and drops the counts (library callers that only keep a log).</summary>
public sealed class LogProgress(Action<string> log) : IProgress
{
    public void Begin(string label, long? total, long alreadyDone = 0) { }
    public void Advance(long items, long tokens = 0) { }
    public void Note(string line) => log(line);
    public void End() { }
}
