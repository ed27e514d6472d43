using Engine.Models.Tokenizers;

namespace Engine.Tests.Tokenizers;

/// <summary>Byte-level BPE (GPT-2, cl100k) through our tokenizer.json loader, checked against published
/// ids and against Microsoft.ML.Tokenizers' TiktokenTokenizer on the same vocabulary.</summary>
public class ByteLevelBpeTests
{
    [Fact]
    public void Gpt2_KnownPublishedIds()
    {
        var tok = TiktokenFixtures.Gpt2;
        Assert.Equal([15496, 995], tok.Encode("Hello world"));        // GPT-2 "Hello world"
        Assert.Equal([464, 2068, 7586, 21831], tok.Encode("The quick brown fox"));
        Assert.Equal(50256, tok.TokenToId("<|endoftext|>"));
        Assert.Equal(50257, tok.VocabSize);
    }

    [Fact]
    public void Cl100k_KnownPublishedIds()
    {
        var tok = TiktokenFixtures.Cl100k;
        Assert.Equal([15339, 1917], tok.Encode("hello world"));       // cl100k_base "hello world"
        Assert.Equal([9906, 1917], tok.Encode("Hello world"));
        Assert.Equal(100257, tok.TokenToId("<|endoftext|>"));
    }

    [Fact]
    public void Gpt2_MatchesMicrosoftMlTokenizers_OnCorpus()
    {
        var ours = TiktokenFixtures.Gpt2;
        var reference = TiktokenFixtures.Gpt2Reference;
        foreach (var text in TiktokenFixtures.Corpus)
            Assert.True(reference.EncodeToIds(text).SequenceEqual(ours.Encode(text)), $"GPT-2 ids differ for {text}");
    }

    [Fact]
    public void Cl100k_MatchesMicrosoftMlTokenizers_OnCorpus()
    {
        var ours = TiktokenFixtures.Cl100k;
        var reference = TiktokenFixtures.Cl100kReference;
        // Microsoft.ML.Tokenizers runs .NET regex on UTF-16, so astral digits (𝟏) are not \p{N} there; HF sees code
        // points. We follow HF (HuggingFaceParityTests covers that text), so such text is left out of this comparison.
        foreach (var text in TiktokenFixtures.Corpus.Where(t => !t.Contains("𝟏")))
            Assert.True(reference.EncodeToIds(text).SequenceEqual(ours.Encode(text)), $"cl100k ids differ for {text}");
    }

    [Fact]
    public void RoundTrip_VariedUnicode()
    {
        foreach (var tok in new[] { TiktokenFixtures.Gpt2, TiktokenFixtures.Cl100k })
            foreach (var text in TiktokenFixtures.Corpus)
                Assert.Equal(text, tok.Decode(tok.Encode(text)));
    }

    [Fact]
    public void SpecialTokens_AreMatchedBeforeTheModel_AndSkippable()
    {
        var tok = TiktokenFixtures.Gpt2;
        int[] ids = tok.Encode("Hello world<|endoftext|>Hello world");
        Assert.Equal([15496, 995, 50256, 15496, 995], ids);
        Assert.Equal("Hello world<|endoftext|>Hello world", tok.Decode(ids));
        Assert.Equal("Hello worldHello world", tok.Decode(ids, skipSpecialTokens: true));
        Assert.Contains(50256, tok.SpecialTokenIds);
    }

    [Fact]
    public void RepeatedEncoding_UsesCacheConsistently_AndLongWordsWork()
    {
        var tok = TiktokenFixtures.Cl100k;
        var reference = TiktokenFixtures.Cl100kReference;
        string longWord = string.Concat(Enumerable.Repeat("abcXYZ", 500));
        string spaces = new(' ', 3000);
        foreach (var text in new[] { longWord, spaces, longWord + spaces + longWord })
        {
            var first = tok.Encode(text);
            Assert.Equal(first, tok.Encode(text));
            Assert.True(reference.EncodeToIds(text).SequenceEqual(first));
        }
    }

    [Fact]
    public void ParallelEncoding_MatchesSequential()
    {
        var tok = TiktokenFixtures.Cl100k;
        var texts = Enumerable.Range(0, 400).Select(i => TiktokenFixtures.Corpus[i % TiktokenFixtures.Corpus.Length] + " #" + i).ToArray();
        var sequential = texts.Select(t => tok.Encode(t)).ToArray();
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, i => parallel[i] = tok.Encode(texts[i]));
        for (int i = 0; i < texts.Length; i++) Assert.Equal(sequential[i], parallel[i]);
    }
}
