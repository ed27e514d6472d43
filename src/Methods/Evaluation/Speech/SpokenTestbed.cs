using System.Text.Json;
using Engine.Methods.Evaluation.Testbed;
using Engine.Models.Audio;

namespace Engine.Methods.Evaluation.Speech;

/// <summary>How the speech testbed speaks its texts.</summary>
public sealed record SpokenTestbedOptions
{
    public required string OutputDir { get; init; }
    public ulong Seed { get; init; } = 1;
    /// <summary>espeak-ng voices (accents) drawn from per utterance.</summary>
    public IReadOnlyList<string> Voices { get; init; } = ["en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp"];
    /// <summary>Speaking rates in words per minute (espeak-ng -s; its default is 175).</summary>
    public IReadOnlyList<int> Speeds { get; init; } = [140, 160, 175, 195];
    /// <summary>Pitches 0–99 (espeak-ng -p; default 50).</summary>
    public IReadOnlyList<int> Pitches { get; init; } = [30, 45, 60, 75];
    /// <summary>White noise added at this signal-to-noise ratio (dB), or none.</summary>
    public double? NoiseSnrDb { get; init; }
    public int SampleRate { get; init; } = AudioLoader.WhisperRate;
}

/// <summary>One spoken text: where its WAV is and how it was spoken.</summary>
public sealed record SpokenUtterance(string Id, string Text, string Audio, string Voice, int Speed, int Pitch, double? SnrDb, double Seconds);

/// <summary>
/// Speaks testbed texts into WAV files, deterministically: utterance i of a seed always gets the same voice, rate and
/// pitch (SplitMix64 of seed and i), espeak-ng renders it (22.05 kHz), sox resamples it to 16 kHz mono 16-bit, and
/// optional white noise at a fixed SNR comes from the same seeded generator. The manifest
/// (<c>manifest.jsonl</c>: id, audio, text, voice, speed, pitch, snr_db, seconds) is the ASR-style data the speech
/// method reads ({"audio", "text"} per line). Existing WAVs are kept, so an interrupted run resumes.
/// </summary>
public static class SpokenTestbed
{
    public const string ManifestName = "manifest.jsonl";

    /// <summary>What a testbed record says aloud: its input when it has one (the instruction stays text), else its instruction.</summary>
    public static (string Id, string Text) SpokenPart(TestbedRecord r) => (r.Id, r.Input.Length > 0 ? r.Input : r.Instruction);

    public static IReadOnlyList<SpokenUtterance> Speak(IReadOnlyList<(string Id, string Text)> texts, SpokenTestbedOptions o)
    {
        if (o.Voices.Count == 0 || o.Speeds.Count == 0 || o.Pitches.Count == 0) throw new ArgumentException("Spoken testbed: voices, speeds and pitches must not be empty.");
        var dir = Path.GetFullPath(o.OutputDir);
        var wavDir = Path.Combine(dir, "wav");
        Directory.CreateDirectory(wavDir);
        var result = new List<SpokenUtterance>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            var (id, text) = texts[i];
            if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException($"Spoken testbed: text {i} ('{id}') is empty.");
            var rng = new TestbedRng(o.Seed * 0x9E3779B97F4A7C15UL + (ulong)i);
            string voice = o.Voices[rng.Next(o.Voices.Count)];
            int speed = o.Speeds[rng.Next(o.Speeds.Count)], pitch = o.Pitches[rng.Next(o.Pitches.Count)];
            var file = Path.Combine("wav", $"{i:D6}.wav");
            var path = Path.Combine(dir, file);
            if (!File.Exists(path)) Render(text, voice, speed, pitch, o, rng, path);
            var clip = WavReader.Read(path);
            result.Add(new SpokenUtterance(id, text, file, voice, speed, pitch, o.NoiseSnrDb, Math.Round(clip.Seconds, 3)));
        }
        WriteManifest(Path.Combine(dir, ManifestName), result);
        return result;
    }

    private static void Render(string text, string voice, int speed, int pitch, SpokenTestbedOptions o, TestbedRng rng, string path)
    {
        var raw = path + ".espeak.wav";
        var tmp = path + ".tmp.wav";
        try
        {
            // -z: no trailing sentence pause; text as one argument, never through a shell.
            SpeechSynthesisTools.Run("espeak-ng", ["-v", voice, "-s", speed.ToString(), "-p", pitch.ToString(), "-z", "-w", raw, "--", text], "speak the testbed");
            // -D: no dither, which would add fresh random noise on every run.
            SpeechSynthesisTools.Run("sox", ["-D", raw, "-r", o.SampleRate.ToString(), "-c", "1", "-b", "16", tmp], "resample to 16 kHz");
            if (o.NoiseSnrDb is { } snr)
            {
                var clip = WavReader.Read(tmp);
                WavWriter.Write(tmp, new AudioClip(AddNoise(clip.Samples, snr, rng), 1, clip.SampleRate));
            }
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            File.Delete(raw);
            File.Delete(tmp);
        }
    }

    /// <summary>Gaussian white noise (Box–Muller on the seeded generator) scaled to <paramref name="snrDb"/> below the signal's power.</summary>
    internal static float[] AddNoise(float[] x, double snrDb, TestbedRng rng)
    {
        double power = x.Length == 0 ? 0 : x.Sum(v => (double)v * v) / x.Length;
        double sigma = Math.Sqrt(power / Math.Pow(10, snrDb / 10));
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double u1 = (rng.NextU64() >> 11) * (1.0 / (1UL << 53)), u2 = (rng.NextU64() >> 11) * (1.0 / (1UL << 53));
            double n = Math.Sqrt(-2 * Math.Log(1 - u1)) * Math.Cos(2 * Math.PI * u2);
            y[i] = (float)Math.Clamp(x[i] + sigma * n, -1.0, 32767.0 / 32768);
        }
        return y;
    }

    private static void WriteManifest(string path, IReadOnlyList<SpokenUtterance> items)
    {
        var tmp = path + ".tmp";
        using (var fs = File.Create(tmp))
        {
            foreach (var u in items)
            {
                using (var w = new Utf8JsonWriter(fs))
                {
                    w.WriteStartObject();
                    w.WriteString("id", u.Id);
                    w.WriteString("audio", u.Audio);
                    w.WriteString("text", u.Text);
                    w.WriteString("voice", u.Voice);
                    w.WriteNumber("speed", u.Speed);
                    w.WriteNumber("pitch", u.Pitch);
                    if (u.SnrDb is { } s) w.WriteNumber("snr_db", s); else w.WriteNull("snr_db");
                    w.WriteNumber("seconds", u.Seconds);
                    w.WriteEndObject();
                }
                fs.Write("\n"u8);
            }
        }
        File.Move(tmp, path, overwrite: true);
    }
}
