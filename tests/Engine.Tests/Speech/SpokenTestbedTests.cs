using Engine.Methods.Evaluation.Speech;
using Engine.Methods.Evaluation.Testbed;
using Engine.Models.Audio;

namespace Engine.Tests.Speech;

/// <summary>The speech testbed's generator: espeak-ng speaks, sox resamples (both installed by .ci/run).</summary>
public class SpokenTestbedTests
{
    private static readonly (string, string)[] Texts =
    [
        ("a", "What is seven plus five?"), ("b", "Sort the words: pear, apple, melon."), ("c", "Reverse the list one two three."),
        ("d", "Count the vowels in banana."), ("e", "What is twelve minus four?"), ("f", "Spell the word river backwards."),
    ];

    [Fact]
    public void SpeaksDeterministicallyWithSeveralVoicesSpeedsAndPitches()
    {
        var d1 = SpeechFixtures.TempDir("tb1");
        var d2 = SpeechFixtures.TempDir("tb2");
        var d3 = SpeechFixtures.TempDir("tb3");
        try
        {
            var a = SpokenTestbed.Speak(Texts, new SpokenTestbedOptions { OutputDir = d1, Seed = 3 });
            var b = SpokenTestbed.Speak(Texts, new SpokenTestbedOptions { OutputDir = d2, Seed = 3 });
            Assert.Equal(a, b);
            for (int i = 0; i < Texts.Length; i++)
                Assert.Equal(File.ReadAllBytes(Path.Combine(d1, a[i].Audio)), File.ReadAllBytes(Path.Combine(d2, b[i].Audio)));
            Assert.True(a.Select(u => u.Voice).Distinct().Count() >= 2, "one voice only");
            Assert.True(a.Select(u => u.Speed).Distinct().Count() >= 2, "one speed only");
            Assert.True(a.Select(u => u.Pitch).Distinct().Count() >= 2, "one pitch only");
            foreach (var u in a)
            {
                var clip = WavReader.Read(Path.Combine(d1, u.Audio));
                Assert.Equal((16000, 1), (clip.SampleRate, clip.Channels));
                Assert.InRange(clip.Seconds, 0.8, 6.0);                                    // a short sentence
                double rms = Math.Sqrt(clip.Samples.Average(v => (double)v * v));
                Assert.True(rms > 0.01, $"{u.Id}: nearly silent (RMS {rms})");
            }
            var manifest = File.ReadAllLines(Path.Combine(d1, SpokenTestbed.ManifestName));
            Assert.Equal(Texts.Length, manifest.Length);
            Assert.Contains("\"audio\":\"wav/000000.wav\"", manifest[0]);
            Assert.Contains("\"text\":\"What is seven plus five?\"", manifest[0]);

            // Another seed speaks the same texts differently.
            // Other settings speak the same text differently.
            var c = SpokenTestbed.Speak(Texts[..1], new SpokenTestbedOptions { OutputDir = d3, Seed = 4, Voices = ["en-us"], Speeds = [120], Pitches = [20] });
            Assert.Equal(("en-us", 120, 20), (c[0].Voice, c[0].Speed, c[0].Pitch));
            Assert.NotEqual(File.ReadAllBytes(Path.Combine(d1, a[0].Audio)), File.ReadAllBytes(Path.Combine(d3, c[0].Audio)));
        }
        finally { Directory.Delete(d1, true); Directory.Delete(d2, true); Directory.Delete(d3, true); }
    }

    [Fact]
    public void NoiseHitsTheRequestedSnr()
    {
        var dir = SpeechFixtures.TempDir("tbn");
        try
        {
            var clean = SpokenTestbed.Speak(Texts[..1], new SpokenTestbedOptions { OutputDir = Path.Combine(dir, "clean"), Seed = 9 });
            var noisy = SpokenTestbed.Speak(Texts[..1], new SpokenTestbedOptions { OutputDir = Path.Combine(dir, "noisy"), Seed = 9, NoiseSnrDb = 10 });
            var x = WavReader.Read(Path.Combine(dir, "clean", clean[0].Audio)).Samples;
            var y = WavReader.Read(Path.Combine(dir, "noisy", noisy[0].Audio)).Samples;
            double sig = x.Sum(v => (double)v * v), noise = x.Zip(y, (a, b) => (double)(b - a) * (b - a)).Sum();
            Assert.InRange(10 * Math.Log10(sig / noise), 9.5, 10.5);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SpeaksATestbedRecordsInputAndKeepsItsId()
    {
        var rec = TestbedGenerator.Generate(new TestbedOptions { N = 1, Seed = 2 })[0];
        var (id, text) = SpokenTestbed.SpokenPart(rec);
        Assert.Equal(rec.Id, id);
        Assert.Equal(rec.Input.Length > 0 ? rec.Input : rec.Instruction, text);
    }
}
