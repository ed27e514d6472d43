using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Testbed.Families;
using Engine.Methods.Synthesis.LongMT;

namespace Engine.Tests.LongMT;

/// <summary>The long-document testbed: deterministic, rule-translated names, terms whose translation depends on the first page, disjoint splits.</summary>
public class LongDocumentsTests
{
    [Fact]
    public void NamesAreTranslatedByTheRule()
    {
        Assert.Equal("Takora", LongDocuments.GloshName("Dagor"));   // d→t, g→k, consonant-final → +a
        Assert.Equal("Pifen", LongDocuments.GloshName("Bive"));     // b→p, v→f, vowel-final → +n
        Assert.Equal("Mesa", LongDocuments.GloshName("Mez"));
    }

    [Fact]
    public void OneSeedGivesIdenticalDocumentsAndAnotherDifferentOnes()
    {
        string Json(ulong seed) => string.Join("\n", LongDocuments.Generate(new LongDocOptions { N = 5, Seed = seed }).Select(d => d.ToJson().ToJsonString()));
        var first = Json(3);
        var again = Json(3); // a second, independent generation from the same seed
        Assert.Equal(first, again);
        Assert.NotEqual(first, Json(4));
    }

    [Fact]
    public void EveryDocumentHasRecurringNamesAndTermsFixedOnTheFirstPage()
    {
        var o = new LongDocOptions { N = 30, Seed = 2, MinPages = 4, MaxPages = 6, SentencesPerPage = 4 };
        foreach (var d in LongDocuments.Generate(o))
        {
            Assert.Equal(d.Source.Count, d.Reference.Count);
            Assert.InRange(d.Source.Count, 16, 24);
            // Names keep their rule translation wherever they occur.
            foreach (var e in d.Entities)
            {
                Assert.Equal(LongDocuments.GloshName(e.Source), e.Target);
                for (int i = 0; i < d.Source.Count; i++)
                    Assert.Equal(TextMatch.ContainsWord(d.Source[i], e.Source), TextMatch.ContainsWord(d.Reference[i], e.Target));
            }
            // Each term's sense is stated on the first page and its sense word is used on every later mention.
            foreach (var t in d.Terms)
            {
                int cue = Array.FindIndex(d.Source.ToArray(), s => s == $"The {t.Source} is a {t.Sense}.");
                Assert.InRange(cue, 0, o.SentencesPerPage - 1);
                var later = Enumerable.Range(o.SentencesPerPage, d.Source.Count - o.SentencesPerPage).Where(i => TextMatch.ContainsWord(d.Source[i], t.Source)).ToList();
                Assert.NotEmpty(later);
                Assert.All(later, i => Assert.True(TextMatch.ContainsWord(d.Reference[i], t.Target), d.Reference[i]));
                // The other sense's word never appears: the translation really depends on the first page.
                var other = LongDocuments.AmbiguousTerms.Single(a => a.Term == t.Source).Senses.Single(s => s != t.Sense);
                Assert.DoesNotContain(d.Reference, r => TextMatch.ContainsWord(r, LongDocuments.Vocabulary[t.Source + ":" + other]));
            }
            // Every page after the first mentions a term; every page mentions a name.
            for (int p = 0; p < d.Source.Count / o.SentencesPerPage; p++)
            {
                var page = d.Source.Skip(p * o.SentencesPerPage).Take(o.SentencesPerPage).ToList();
                Assert.Contains(page, s => d.Entities.Any(e => TextMatch.ContainsWord(s, e.Source)));
                if (p > 0) Assert.Contains(page, s => d.Terms.Any(t => TextMatch.ContainsWord(s, t.Source)));
            }
        }
    }

    [Fact]
    public void TestDocumentsNeverShareANameSetWithTrainingOnes()
    {
        var train = LongDocuments.Generate(new LongDocOptions { N = 200, Seed = 1 });
        var test = LongDocuments.Generate(new LongDocOptions { N = 50, Seed = 1, Split = TestbedSplit.Test });
        var trainSets = train.Select(d => string.Join(",", d.Entities.Select(e => e.Source))).ToHashSet();
        Assert.DoesNotContain(test, d => trainSets.Contains(string.Join(",", d.Entities.Select(e => e.Source))));
        Assert.All(test, d => Assert.StartsWith("doc-test-", d.Id));
    }

    [Fact]
    public void TheNewVocabularyAvoidsTheTranslateFamilysWords()
    {
        var existing = TranslateFamily.Glosh.Values.Concat(TranslateFamily.Glosh.Keys).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(LongDocuments.Vocabulary.Values, existing.Contains);
        Assert.Equal(LongDocuments.Vocabulary.Count, LongDocuments.Vocabulary.Values.Distinct().Count());
    }
}
