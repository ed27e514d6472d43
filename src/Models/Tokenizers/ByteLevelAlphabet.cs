namespace Engine.Models.Tokenizers;

/// <summary>
/// GPT-2's reversible byte → printable-character map: bytes that are already visible
/// characters map to themselves, the rest to U+0100 onwards, so every byte sequence
/// becomes a string without whitespace or control characters.
/// </summary>
public static class ByteLevelAlphabet
{
    public static readonly char[] ByteToChar = Build();
    static readonly Dictionary<char, byte> CharToByteMap = BuildReverse();

    static char[] Build()
    {
        var map = new char[256];
        var isVisible = new bool[256];
        for (int b = '!'; b <= '~'; b++) isVisible[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) isVisible[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) isVisible[b] = true;
        int next = 0;
        for (int b = 0; b < 256; b++)
            map[b] = isVisible[b] ? (char)b : (char)(256 + next++);
        return map;
    }

    static Dictionary<char, byte> BuildReverse()
    {
        var d = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++) d[ByteToChar[b]] = (byte)b;
        return d;
    }

    public static bool TryCharToByte(char c, out byte b) => CharToByteMap.TryGetValue(c, out b);

    /// <summary>UTF-8 bytes of <paramref name="text"/> written in the byte alphabet.</summary>
    public static string Encode(ReadOnlySpan<char> text)
    {
        int n = System.Text.Encoding.UTF8.GetByteCount(text);
        Span<byte> bytes = n <= 512 ? stackalloc byte[n] : new byte[n];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return string.Create(n, bytes.ToArray(), static (dst, src) =>
        {
            for (int i = 0; i < src.Length; i++) dst[i] = ByteToChar[src[i]];
        });
    }
}
