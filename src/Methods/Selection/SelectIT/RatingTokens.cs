using Engine.Models.Tokenizers;

namespace Engine.Methods.Selection.SelectIT;

/// <summary>Token ids of the ratings "1".."K" for a tokenizer, as the model would emit them right after a newline.</summary>
public static class RatingTokens
{
    public static int[] Resolve(ITokenizer tokenizer, int scaleMax)
    {
        if (scaleMax is < 2 or > 9) throw new ArgumentOutOfRangeException(nameof(scaleMax), "rating scale must be 2..9 (single digit tokens)");
        var ids = new int[scaleMax];
        for (int k = 1; k <= scaleMax; k++)
        {
            var digit = k.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var withNewline = tokenizer.Encode("\n" + digit);
            int id = withNewline.Length > 0 ? withNewline[^1] : -1;
            if (id < 0 || tokenizer.Decode([id]).Trim() != digit)
            {
                var alone = tokenizer.Encode(digit);
                if (alone.Length != 1 || tokenizer.Decode(alone).Trim() != digit)
                    throw new InvalidOperationException($"The tokenizer has no single token for the rating \"{digit}\" (it encodes as [{string.Join(", ", alone)}]); SelectIT needs one token per rating.");
                id = alone[0];
            }
            ids[k - 1] = id;
        }
        if (ids.Distinct().Count() != ids.Length) throw new InvalidOperationException($"Rating tokens are not distinct: [{string.Join(", ", ids)}].");
        return ids;
    }
}
