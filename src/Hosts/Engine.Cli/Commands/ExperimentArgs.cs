using System.Globalization;

namespace Engine.Cli.Commands;

/// <summary>Parsing shared by the experiment verbs.</summary>
internal static class ExperimentArgs
{
    public static ulong[] Seeds(string s) => List(s).Select(x => ulong.TryParse(x, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v
        : throw new ArgumentException($"--seeds must be comma-separated non-negative integers, got '{x}'.")).ToArray();

    public static string[] List(string s)
    {
        var items = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return items.Length > 0 ? items : throw new ArgumentException("Empty list.");
    }

    /// <summary>A record's ToString with its seed and arm lists written out (records print lists as their type name).</summary>
    public static string Describe<TSeed>(string record, IReadOnlyList<TSeed> seeds, IReadOnlyList<string> arms) =>
        record.Replace($"Seeds = {seeds}", $"Seeds = [{string.Join(", ", seeds)}]").Replace($"Arms = {arms}", $"Arms = [{string.Join(", ", arms)}]");

    public static string Header(string options) => string.Create(CultureInfo.InvariantCulture,
        $"Run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average {LoadAverage()}; options: `{options}`\n\n");

    private static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }
}
