using Engine.Models.Tokenizers;

namespace Engine.Models.Generation;

/// <summary>
/// The text of one generated sequence, released piece by piece: a piece is final once no stop string can start in it
/// and it does not end in an incomplete character (a byte-level token may carry half of one, decoded as U+FFFD).
/// Stop strings cut the text before their first occurrence, as <see cref="TextGenerator"/> does.
/// </summary>
public sealed class StreamingText(ITokenizer? tokenizer, IReadOnlyList<string> stops)
{
    private readonly List<int> _ids = [];
    private readonly int _holdBack = stops.Where(s => s.Length > 0).Select(s => s.Length - 1).DefaultIfEmpty(0).Max();
    private string _text = "";
    private int _released;

    /// <summary>The text so far (cut at a stop string once one appeared).</summary>
    public string Text => _text;

    /// <summary>Add a token; returns the newly final text and whether a stop string ended the sequence.</summary>
    public (string Delta, bool Stopped) Add(int token)
    {
        if (tokenizer is null) return ("", false);
        _ids.Add(token);
        var text = tokenizer.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_ids), skipSpecialTokens: true);
        int cut = FirstStop(text);
        if (cut >= 0)
        {
            _text = text[..cut];
            return (Release(_text.Length), true);
        }
        _text = text;
        int safe = text.Length - _holdBack;
        while (safe > 0 && text[safe - 1] == '\uFFFD') safe--;
        return (Release(safe), false);
    }

    /// <summary>Everything not yet released: called when the sequence ends without a stop string.</summary>
    public string Flush() => Release(_text.Length);

    private string Release(int upTo)
    {
        if (upTo <= _released) return "";
        var delta = _text[_released..upTo];
        _released = upTo;
        return delta;
    }

    private int FirstStop(string text)
    {
        int best = -1;
        foreach (var s in stops)
        {
            if (s.Length == 0) continue;
            int i = text.IndexOf(s, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }
}
