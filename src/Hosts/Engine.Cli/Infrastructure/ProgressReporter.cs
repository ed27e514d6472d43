using Engine.Methods.Core.Progress;

namespace Engine.Cli.Infrastructure;

/// <summary>
/// Progress of a CLI job on stderr through the shared display (<see cref="ProgressMeter"/>: a redrawn line on a
/// terminal, a line every few seconds when redirected; items/s, tokens/s, ETA). Verbs that run a record job pass
/// <see cref="Meter"/> to it; others count with <see cref="Add"/>.
/// </summary>
public sealed class ProgressReporter : IDisposable
{
    /// <summary>The meter, as the <see cref="IProgress"/> methods take.</summary>
    public ProgressMeter Meter { get; }

    /// <summary>A meter that waits for the job's Begin.</summary>
    public ProgressReporter(string unit = "records") => Meter = new ProgressMeter(new ProgressDisplay(), unit);

    /// <summary>A meter already begun: <paramref name="label"/>, the total when known, and what an earlier run did.</summary>
    public ProgressReporter(string label, long? total, long alreadyDone = 0) : this()
        => Meter.Begin(label, total, alreadyDone);

    public void Add(long items, long tokens = 0) => Meter.Advance(items, tokens);

    public void Dispose() => Meter.End();
}
