using System.Buffers;
using System.Globalization;
using System.Text;

namespace Engine.Models.Checkpoints;

/// <summary>
/// The header bytes exactly as the reference library (Rust serde_json) prints them: no whitespace,
/// "__metadata__" first, then tensors in data order, each as
/// {"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}; strings escape only '"', '\' and control
/// characters; padded with spaces to a multiple of 8 bytes so the data section starts aligned.
/// </summary>
internal static class SafeTensorsHeaderWriter
{
    internal readonly record struct Item(string Name, string DType, int[] Shape, long Begin, long End);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Build(IReadOnlyList<Item> items, IReadOnlyDictionary<string, string>? metadata)
    {
        var w = new ArrayBufferWriter<byte>(256);
        Ascii(w, "{");
        bool first = true;
        if (metadata is not null)
        {
            String(w, SafeTensorsHeaderParser.MetadataKey);
            Ascii(w, ":{");
            bool firstMeta = true;
            // The reference keeps metadata in a hash map (order unspecified); sorted keeps ours reproducible.
            foreach (var kv in metadata.OrderBy(kv => StrictUtf8.GetBytes(kv.Key), Utf8Order.Instance))
            {
                if (!firstMeta) Ascii(w, ",");
                firstMeta = false;
                String(w, kv.Key);
                Ascii(w, ":");
                String(w, kv.Value);
            }
            Ascii(w, "}");
            first = false;
        }
        foreach (var it in items)
        {
            if (!first) Ascii(w, ",");
            first = false;
            String(w, it.Name);
            Ascii(w, ":{\"dtype\":");
            String(w, it.DType);
            Ascii(w, ",\"shape\":[");
            for (int i = 0; i < it.Shape.Length; i++)
            {
                if (i > 0) Ascii(w, ",");
                Ascii(w, it.Shape[i].ToString(CultureInfo.InvariantCulture));
            }
            Ascii(w, "],\"data_offsets\":[");
            Ascii(w, it.Begin.ToString(CultureInfo.InvariantCulture));
            Ascii(w, ",");
            Ascii(w, it.End.ToString(CultureInfo.InvariantCulture));
            Ascii(w, "]}");
        }
        Ascii(w, "}");
        int pad = (8 - w.WrittenCount % 8) % 8;
        w.GetSpan(pad)[..pad].Fill((byte)' ');
        w.Advance(pad);
        return w.WrittenSpan.ToArray();
    }

    /// <summary>UTF-8 bytes of a name; a string with lone surrogates has none and is refused.</summary>
    public static byte[] Utf8(string s, string what)
    {
        try { return StrictUtf8.GetBytes(s); }
        catch (EncoderFallbackException e) { throw new ArgumentException($"{what} '{s}' is not valid Unicode (lone surrogate).", e); }
    }

    private static void String(ArrayBufferWriter<byte> w, string s)
    {
        Ascii(w, "\"");
        foreach (var b in Utf8(s, "JSON string"))
        {
            switch (b)
            {
                case (byte)'"': Ascii(w, "\\\""); break;
                case (byte)'\\': Ascii(w, "\\\\"); break;
                case (byte)'\b': Ascii(w, "\\b"); break;
                case (byte)'\f': Ascii(w, "\\f"); break;
                case (byte)'\n': Ascii(w, "\\n"); break;
                case (byte)'\r': Ascii(w, "\\r"); break;
                case (byte)'\t': Ascii(w, "\\t"); break;
                case < 0x20: Ascii(w, "\\u00" + b.ToString("x2", CultureInfo.InvariantCulture)); break;
                default: w.GetSpan(1)[0] = b; w.Advance(1); break; // non-ASCII stays raw UTF-8
            }
        }
        Ascii(w, "\"");
    }

    private static void Ascii(ArrayBufferWriter<byte> w, string s)
    {
        var span = w.GetSpan(s.Length);
        for (int i = 0; i < s.Length; i++) span[i] = (byte)s[i];
        w.Advance(s.Length);
    }
}

/// <summary>Byte-wise order of UTF-8 strings: what Rust's String comparison does.</summary>
internal sealed class Utf8Order : IComparer<byte[]>
{
    public static readonly Utf8Order Instance = new();
    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}
