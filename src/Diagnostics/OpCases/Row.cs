namespace Engine.Diagnostics.OpCases;

/// <summary>What a row checks: the CPU against plain loops, a backend against the CPU, the tape against finite differences.</summary>
public enum Mode { Reference, Parity, Gradient }

public enum Outcome { Pass, Fail, Skipped }

/// <summary>One checked output of one case on one backend in one mode.</summary>
public sealed record Row(string Family, string Op, string Shape, string Backend, Mode Mode, string Metric, double Error, double Tolerance, string? Note = null)
{
    public Outcome Outcome => Note is { } n && n.StartsWith(SkipPrefix, StringComparison.Ordinal) ? Outcome.Skipped
        : Error <= Tolerance && !double.IsNaN(Error) ? Outcome.Pass : Outcome.Fail;

    public bool Pass => Outcome == Outcome.Pass;

    internal const string SkipPrefix = "skipped: ";

    internal static Row Skip(OpCase c, string backend, Mode mode, string why) =>
        new(c.Family, c.Name, c.Shape, backend, mode, "-", double.NaN, 0, SkipPrefix + why);

    internal static Row Threw(OpCase c, string backend, Mode mode, string where, Exception e) =>
        new(c.Family, c.Name, c.Shape, backend, mode, "-", double.NaN, 0, $"{where} threw {e.GetType().Name}: {e.Message}");

    /// <summary>"op \t shape \t error \t tolerance \t pass|FAIL|skipped" (what the tests print and compare).</summary>
    public string Tsv => $"{Op}\t{Shape}\t{Error:E2}\t{Tolerance:E0}\t{Outcome switch { Outcome.Pass => "pass", Outcome.Skipped => "skipped", _ => "FAIL" }}{(Note is null ? "" : "\t" + Note)}";
}
