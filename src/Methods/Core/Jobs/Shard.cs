using System.Globalization;

namespace Engine.Methods.Core.Jobs;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/>: the records whose 0-based index (among the input's valid records,
/// in input order) mod Count equals Index. A shard writes <c>&lt;stem&gt;.shard-&lt;i&gt;-of-&lt;n&gt;&lt;ext&gt;</c> beside the output it is part of.
/// </summary>
public readonly record struct Shard(int Index, int Count)
{
    /// <summary>The whole input: one shard, written to the output path itself.</summary>
    public static readonly Shard Whole = new(0, 1);

    public bool IsWhole => Count == 1;

    public bool Contains(long recordIndex) => recordIndex % Count == Index;

    /// <summary>Records of this shard when the input has <paramref name="records"/> valid records.</summary>
    public long RecordsOf(long records) => records <= Index ? 0 : (records - Index + Count - 1) / Count;

    /// <summary>"i/n" → shard; null or empty → <see cref="Whole"/>.</summary>
    public static Shard Parse(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return Whole;
        var parts = s.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && i < n)
            return new Shard(i, n);
        throw new ArgumentException($"--shard must be i/n with 0 ≤ i < n (e.g. 0/4), got '{s}'.");
    }

    /// <summary>Where this shard of <paramref name="output"/> is written: the output itself when whole.</summary>
    public string PathOf(string output)
    {
        if (IsWhole) return output;
        var dir = Path.GetDirectoryName(output) ?? "";
        var ext = Path.GetExtension(output);
        var stem = Path.GetFileNameWithoutExtension(output);
        return Path.Combine(dir, $"{stem}.shard-{Index}-of-{Count}{ext}");
    }

    public override string ToString() => $"{Index}/{Count}";
}
