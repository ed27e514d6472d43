namespace Engine.Methods.Evaluation.Testbed;

/// <summary>Made-up words and names: pronounceable, deterministic, and absent from any real knowledge a model may have.</summary>
public static class Lexicon
{
    private const string Consonants = "bdfgklmnprstvz";
    private const string Vowels = "aeiou";

    /// <summary>A lowercase pronounceable string of exactly <paramref name="length"/> letters (consonant/vowel alternating).</summary>
    public static string Word(TestbedRng rng, int length)
    {
        var chars = new char[length];
        bool vowel = rng.Next(3) == 0;
        for (int i = 0; i < length; i++)
        {
            chars[i] = vowel ? Vowels[rng.Next(Vowels.Length)] : Consonants[rng.Next(Consonants.Length)];
            vowel = !vowel;
        }
        return new string(chars);
    }

    /// <summary>A lowercase word starting with a consonant (so "a" is its article).</summary>
    public static string ConsonantWord(TestbedRng rng, int length)
    {
        var w = Word(rng, length);
        return Vowels.Contains(w[0]) ? Consonants[rng.Next(Consonants.Length)] + w[1..] : w;
    }

    /// <summary>A capitalised fictional name of 4–7 letters.</summary>
    public static string Name(TestbedRng rng)
    {
        var w = Word(rng, rng.Range(4, 6));
        if (Vowels.Contains(w[^1]) && rng.Coin()) w += Consonants[rng.Next(Consonants.Length)];
        return char.ToUpperInvariant(w[0]) + w[1..];
    }

    /// <summary><paramref name="count"/> distinct names.</summary>
    public static List<string> Names(TestbedRng rng, int count, IEnumerable<string>? avoid = null)
    {
        var taken = new HashSet<string>(avoid ?? [], StringComparer.OrdinalIgnoreCase);
        var names = new List<string>();
        while (names.Count < count)
        {
            var n = Name(rng);
            if (taken.Add(n)) names.Add(n);
        }
        return names;
    }

    /// <summary>Distinct lowercase words of the given length range.</summary>
    public static List<string> Words(TestbedRng rng, int count, int minLen, int maxLen, IEnumerable<string>? avoid = null)
    {
        var taken = new HashSet<string>(avoid ?? [], StringComparer.OrdinalIgnoreCase);
        var words = new List<string>();
        while (words.Count < count)
        {
            var w = Word(rng, rng.Range(minLen, maxLen));
            if (taken.Add(w)) words.Add(w);
        }
        return words;
    }

    public static readonly string[] Items = ["apples", "coins", "stamps", "marbles", "shells", "cards", "pens", "stones"];
    public static readonly string[] Jobs = ["baker", "weaver", "sailor", "miner", "potter", "scribe", "farmer", "smith"];
}
