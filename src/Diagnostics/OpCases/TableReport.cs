using Engine.Runtime;
using Engine.Runtime.Cuda;

namespace Engine.Diagnostics.OpCases;

/// <summary>The printed forms of the table's results: rows, a summary line, capabilities.</summary>
public static class TableReport
{
    public static string Header => $"{"op",-22} {"shape",-12} {"max rel err",12} {"tol",8}  pass";

    public static string Line(Row r) =>
        $"{r.Op,-22} {r.Shape,-12} {r.Error,12:E2} {r.Tolerance,8:E0}  {r.Outcome switch { Outcome.Pass => "yes", Outcome.Skipped => "skipped", _ => "NO" }}{(r.Note is null ? "" : "  " + r.Note)}";

    /// <summary>"P of C &lt;what&gt; checks passed" (C counts passed and failed rows), with skipped rows counted apart.</summary>
    public static string Summary(IReadOnlyCollection<Row> rows, string what)
    {
        int passed = rows.Count(r => r.Outcome == Outcome.Pass), failed = rows.Count(r => r.Outcome == Outcome.Fail), skipped = rows.Count(r => r.Outcome == Outcome.Skipped);
        return $"{passed} of {passed + failed} {what} checks passed" + (skipped > 0 ? $" ({skipped} skipped: not supported there)" : "");
    }

    /// <summary>One line per backend op: the dtypes each backend runs it on.</summary>
    public static IEnumerable<string> Capabilities(params IBackend[] backends)
    {
        yield return $"{"op",-28} " + string.Join(" ", backends.Select(b => $"{b.Name,-30}"));
        foreach (var op in Enum.GetValues<BackendOp>())
            yield return $"{op,-28} " + string.Join(" ", backends.Select(b =>
                $"{(b.Capabilities.TryGetValue(op, out var d) ? string.Join(",", d.Select(x => x.ToString().ToLowerInvariant())) : "-"),-30}"));
    }

    /// <summary>Kernel coverage of a device after the table ran: how many of the carried kernels were launched, and which were not.</summary>
    public static IEnumerable<string> Coverage(CudaDevice device)
    {
        var all = Kernels.KernelCoverage.EmbeddedKernels();
        var missing = Kernels.KernelCoverage.NotLaunched(device);
        yield return $"kernels     {all.Count - missing.Count} of {all.Count} kernels of kernels/*.cu launched by the table";
        foreach (var m in missing) yield return $"kernels     not run: {m}";
    }
}
