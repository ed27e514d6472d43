using Engine.Methods.Core.Progress;

namespace Engine.Methods.Core.Jobs;

/// <summary>
/// Progress inside one chunk: a job reports records (fractions allowed — a batch may finish part of a record's
/// samples or prompts) and tokens as its batches finish, so a large chunk still moves the display. The runner counts
/// whatever the job did not report when the chunk ends.
/// </summary>
public sealed class JobProgress
{
    private readonly IProgress _sink;
    private double _records;
    private long _shown;

    internal JobProgress(IProgress sink) => _sink = sink;

    internal long TokensReported { get; private set; }

    public void Advance(double records, long tokens = 0)
    {
        _records += records;
        TokensReported += tokens;
        long whole = (long)Math.Floor(_records + 1e-9);
        _sink.Advance(whole - _shown, tokens);
        _shown = whole;
    }

    /// <summary>Bring the count to the chunk's size (and add the result's tokens when the job reported none).</summary>
    internal void Complete(int records, long tokens)
    {
        _sink.Advance(Math.Max(0, records - _shown), TokensReported == 0 ? tokens : 0);
        _shown = records;
    }
}
