using Engine.Methods.Core.Data;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Engine.Methods.Training.Data;

/// <summary>
/// A deterministic train/eval split: an item goes to eval when the SHA-256 of (seed, key) falls below the eval
/// fraction. The same key lands on the same side on every machine and run, whatever the file order, and exact
/// duplicates (same key) never straddle the split.
/// </summary>
public static class TrainEvalSplit
{
    public static bool IsEval(string key, double evalFraction, string seed = "")
    {
        if (evalFraction is < 0 or > 1 || double.IsNaN(evalFraction))
            throw new ArgumentOutOfRangeException(nameof(evalFraction), $"Eval fraction must be in [0, 1], got {evalFraction}.");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(seed + "\u0000" + key), hash);
        // Top 53 bits → a uniform double in [0, 1).
        double u = (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
        return u < evalFraction;
    }

    /// <summary>A row's key: its <c>id</c> field when it has one, else its content.</summary>
    public static string KeyOf(DataRow row) => RecordParser.IdOf(row.Value) ?? row.Value.ToJsonString();

    /// <summary>An example's key: its tokens (content), so duplicates stay together.</summary>
    public static string KeyOf(SftExample e) => string.Join(',', e.InputIds);

    /// <summary>A preference pair's key: prompt, chosen and rejected tokens.</summary>
    public static string KeyOf(PreferenceExample e) => $"{string.Join(',', e.PromptIds)}|{string.Join(',', e.ChosenIds)}|{string.Join(',', e.RejectedIds)}";

    /// <summary>A KTO example's key: prompt and completion tokens (not the label, so contradictory duplicates stay together).</summary>
    public static string KeyOf(KtoExample e) => $"{string.Join(',', e.PromptIds)}|{string.Join(',', e.CompletionIds)}";

    public static (List<T> Train, List<T> Eval) Split<T>(IEnumerable<T> items, Func<T, string> key, double evalFraction, string seed = "")
    {
        var train = new List<T>();
        var eval = new List<T>();
        foreach (var item in items) (IsEval(key(item), evalFraction, seed) ? eval : train).Add(item);
        return (train, eval);
    }
}
