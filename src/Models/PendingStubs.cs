// TEMPORARY: signatures of types being written on other branches; deleted when they merge.
using Engine.Runtime;
namespace Engine.Models.Chat
{
    public sealed record ChatMessage(string Role, string Content);
    public sealed class ChatTemplate
    {
        public ChatTemplate(string jinjaSource) { Source = jinjaSource; }
        public string Source { get; }
        public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null) => throw new NotImplementedException();
    }
}
namespace Engine.Models.Tokenizers
{
    public interface ITokenizer
    {
        int VocabSize { get; }
        int[] Encode(string text, bool addSpecialTokens = false);
        string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false);
        int? TokenToId(string token);
        string? IdToToken(int id);
        IReadOnlyCollection<int> SpecialTokenIds { get; }
    }
    public sealed class HfTokenizer : ITokenizer
    {
        public static HfTokenizer Load(string pathOrDir) => throw new NotImplementedException();
        public string? BosToken => null; public string? EosToken => null; public string? PadToken => null; public string? UnkToken => null;
        public int? BosTokenId => null; public int? EosTokenId => null; public int? PadTokenId => null;
        public Engine.Models.Chat.ChatTemplate? ChatTemplate => null;
        public void Save(string dir) => throw new NotImplementedException();
        public int VocabSize => throw new NotImplementedException();
        public int[] Encode(string text, bool addSpecialTokens = false) => throw new NotImplementedException();
        public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) => throw new NotImplementedException();
        public int? TokenToId(string token) => throw new NotImplementedException();
        public string? IdToToken(int id) => throw new NotImplementedException();
        public IReadOnlyCollection<int> SpecialTokenIds => throw new NotImplementedException();
    }
    public static class BpeTrainer
    {
        public static HfTokenizer Train(IEnumerable<string> corpus, int vocabSize, IReadOnlyList<string> specialTokens, string? chatTemplate = null, int minFrequency = 2) => throw new NotImplementedException();
    }
}
