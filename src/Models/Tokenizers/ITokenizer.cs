namespace Engine.Models.Tokenizers;

/// <summary>Text ↔ token ids. Implementations are thread-safe for Encode/Decode.</summary>
public interface ITokenizer
{
    /// <summary>Number of ids, including added tokens (max id + 1).</summary>
    int VocabSize { get; }

    /// <param name="addSpecialTokens">Add BOS/EOS etc. as the tokenizer's post-processor says.</param>
    int[] Encode(string text, bool addSpecialTokens = false);

    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);

    int? TokenToId(string token);

    string? IdToToken(int id);

    IReadOnlyCollection<int> SpecialTokenIds { get; }
}
