using Engine.Models.Audio;

namespace Engine.Tests.Speech;

public class ResamplerTests
{
    private static float[] Sine(double hz, int rate, double seconds, double amp = 0.8, double phase = 0) =>
        Enumerable.Range(0, (int)(rate * seconds)).Select(i => (float)(amp * Math.Sin(2 * Math.PI * hz * i / rate + phase))).ToArray();

    /// <summary>Least-squares fit of a·sin + b·cos at <paramref name="hz"/> over the interior: amplitude, phase and residual RMS.</summary>
    private static (double Amp, double Phase, double Residual) Fit(float[] y, double hz, int rate, int skip)
    {
        double ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
        for (int i = skip; i < y.Length - skip; i++)
        {
            double w = 2 * Math.PI * hz * i / rate, s = Math.Sin(w), c = Math.Cos(w);
            ss += s * s; cc += c * c; sc += s * c; ys += y[i] * s; yc += y[i] * c;
        }
        double det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
        double res = 0; int n = 0;
        for (int i = skip; i < y.Length - skip; i++, n++)
        {
            double w = 2 * Math.PI * hz * i / rate, e = y[i] - (a * Math.Sin(w) + b * Math.Cos(w));
            res += e * e;
        }
        return (Math.Sqrt(a * a + b * b), Math.Atan2(b, a), Math.Sqrt(res / n));
    }

    /// <summary>Frequency of the strongest DFT bin, refined by parabolic interpolation on a Hann-windowed segment.</summary>
    private static double PeakHz(float[] y, int rate, int skip)
    {
        int n = y.Length - 2 * skip;
        var mag = new double[n / 2];
        for (int k = 1; k < n / 2; k++)
        {
            double re = 0, im = 0;
            for (int i = 0; i < n; i++)
            {
                double w = 0.5 - 0.5 * Math.Cos(2 * Math.PI * i / n), a = 2 * Math.PI * k * i / n;
                re += w * y[skip + i] * Math.Cos(a); im -= w * y[skip + i] * Math.Sin(a);
            }
            mag[k] = Math.Log(Math.Sqrt(re * re + im * im) + 1e-30);
        }
        int p = Array.IndexOf(mag, mag.Max());
        double delta = 0.5 * (mag[p - 1] - mag[p + 1]) / (mag[p - 1] - 2 * mag[p] + mag[p + 1]);
        return (p + delta) * rate / n;
    }

    [Theory]
    [InlineData(44100, 16000, 1000.0)]
    [InlineData(22050, 16000, 3150.0)]   // espeak-ng's rate
    [InlineData(48000, 16000, 6000.0)]   // high in the passband (edge: 0.945 × 8 kHz)
    [InlineData(8000, 16000, 440.0)]     // upsampling
    public void ASineKeepsItsFrequencyAmplitudeAndPhase(int from, int to, double hz)
    {
        var y = Resampler.Resample(Sine(hz, from, 0.5, phase: 0.3), from, to);
        Assert.Equal((int)Math.Ceiling(from * 0.5 * to / from), y.Length);
        int skip = to / 20; // away from the zero-padded ends
        var (amp, phase, res) = Fit(y, hz, to, skip);
        Assert.True(Math.Abs(amp - 0.8) < 2e-3, $"amplitude {amp}");
        Assert.True(Math.Abs(phase - 0.3) < 2e-3, $"phase {phase} (time origin moved)");
        Assert.True(res < 1e-3, $"residual RMS {res}");
        Assert.True(Math.Abs(PeakHz(y, to, skip) - hz) < 2.0, $"peak at {PeakHz(y, to, skip)} Hz, want {hz}");
    }

    [Fact]
    public void FrequenciesAboveTheNewNyquistAreRemovedNotFolded()
    {
        // 12 kHz at 44.1 kHz would alias to 4 kHz at 16 kHz; a real resampler removes it.
        var y = Resampler.Resample(Sine(12000, 44100, 0.5), 44100, 16000);
        double rms = Math.Sqrt(y.Skip(800).Take(y.Length - 1600).Sum(v => (double)v * v) / (y.Length - 1600));
        Assert.True(rms < 0.8 / Math.Sqrt(2) * 1e-3, $"RMS {rms}: the 12 kHz tone leaked (> −60 dB)");
    }

    [Fact]
    public void SameRateIsACopy()
    {
        var x = Sine(300, 16000, 0.01);
        Assert.Equal(x, Resampler.Resample(x, 16000, 16000));
    }

    [Fact]
    public void AgreesWithSoxOnSpeechLikeAudio()
    {
        // sox's own resampler (an independent implementation) on the numpy-written fixture, 16 kHz → 22.05 kHz.
        var src = Path.Combine(SpeechFixtures.Dir("audio"), "tone.wav");
        var dir = SpeechFixtures.TempDir("rs");
        try
        {
            var dst = Path.Combine(dir, "r.wav");
            SpeechFixtures.Run("sox", ["-D", src, "-e", "floating-point", "-b", "32", "-r", "22050", dst]);
            var want = WavReader.Read(dst).Samples;
            var got = Resampler.Resample(WavReader.Read(src).Samples, 16000, 22050);
            Assert.True(Math.Abs(want.Length - got.Length) <= 1, $"lengths {want.Length} vs {got.Length}");
            double err = 0, pow = 0;
            // Where the fixture is band-limited (voiced harmonics below 2 kHz, then a 2.5 kHz tone): the two filters' different
            // passband edges (0.945 vs 0.95 of 8 kHz) would otherwise dominate through the white-noise burst.
            foreach (var (a, b) in new[] { (0.05, 0.40), (0.85, 0.95) })
                for (int i = (int)(a * 22050); i < (int)(b * 22050); i++) { err += (want[i] - got[i]) * (double)(want[i] - got[i]); pow += (double)want[i] * want[i]; }
            double snr = 10 * Math.Log10(pow / err);
            Assert.True(snr > 60, $"agreement with sox only {snr:F1} dB");
        }
        finally { Directory.Delete(dir, true); }
    }
}
