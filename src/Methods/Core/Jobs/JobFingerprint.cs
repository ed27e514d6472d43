using System.Globalization;
using System.Text.Json.Nodes;

namespace Engine.Methods.Core.Jobs;

/// <summary>
/// What produced an output: the job's name and every option that changes its lines (model and adapter identity,
/// decoding options, the input's identity, ...), as ordered name → value strings. Stored in the output's manifest;
/// a resume or a merge compares fingerprints and names each entry that differs. Options that do not change the lines
/// (batch size, device ordinal, progress) stay out, so they may change between runs.
/// </summary>
public sealed class JobFingerprint
{
    private readonly List<KeyValuePair<string, string>> _entries = [];

    public JobFingerprint(string job) => Add("job", job);

    public IReadOnlyList<KeyValuePair<string, string>> Entries => _entries;

    public JobFingerprint Add(string name, string? value)
    {
        if (_entries.Any(e => e.Key == name)) throw new ArgumentException($"fingerprint entry '{name}' added twice");
        _entries.Add(new(name, value ?? "null"));
        return this;
    }

    public JobFingerprint Add(string name, double value) => Add(name, value.ToString("R", CultureInfo.InvariantCulture));
    public JobFingerprint Add(string name, long value) => Add(name, value.ToString(CultureInfo.InvariantCulture));
    public JobFingerprint Add(string name, bool value) => Add(name, value ? "true" : "false");
    public JobFingerprint Add(string name, IEnumerable<string> values) => Add(name, string.Join("\u241F", values));

    public string? this[string name] => _entries.FirstOrDefault(e => e.Key == name).Value;

    /// <summary>"name: was → now" for every entry that differs or exists on one side only (except <paramref name="ignore"/>); empty when equal.</summary>
    public IReadOnlyList<string> Differences(JobFingerprint now, IReadOnlyCollection<string>? ignore = null)
    {
        var diffs = new List<string>();
        foreach (var (k, v) in _entries)
        {
            if (ignore?.Contains(k) == true) continue;
            var other = now[k];
            if (other is null) diffs.Add($"{k}: {Show(v)} → (absent)");
            else if (other != v) diffs.Add($"{k}: {Show(v)} → {Show(other)}");
        }
        foreach (var (k, v) in now._entries)
            if (this[k] is null && ignore?.Contains(k) != true) diffs.Add($"{k}: (absent) → {Show(v)}");
        return diffs;
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in _entries) o[k] = v;
        return o;
    }

    public static JobFingerprint FromJson(JsonObject o)
    {
        var job = o["job"]?.GetValue<string>() ?? throw new InvalidDataException("fingerprint has no job name");
        var f = new JobFingerprint(job);
        foreach (var (k, v) in o)
            if (k != "job") f.Add(k, v?.GetValue<string>());
        return f;
    }

    /// <summary>Digests shortened for messages; long values cut.</summary>
    private static string Show(string v) =>
        v.StartsWith("sha256:", StringComparison.Ordinal) ? v[..Math.Min(v.Length, 19)] + "…" : v.Length > 80 ? v[..77] + "…" : v;
}
