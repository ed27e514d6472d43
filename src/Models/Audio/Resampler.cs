namespace Engine.Models.Audio;

/// <summary>
/// Band-limited resampling by a rational factor L/M (polyphase windowed sinc, the method of libsamplerate's sinc
/// converters, soxr and torchaudio's resample). Output sample n sits at input position n·M/L; it is the sum of the
/// input samples around it weighted by a low-pass sinc with cutoff <see cref="Rolloff"/> × the lower of the two Nyquist
/// frequencies, tapered by a Kaiser window <see cref="ZeroCrossings"/> sinc lobes wide. So frequencies the target rate
/// can hold pass with unit gain and those it cannot are removed instead of folding back (aliasing). The input is zero
/// outside its ends; the output has ⌈n·L/M⌉ samples and the same time origin.
/// </summary>
public sealed class Resampler
{
    /// <summary>Passband edge as a fraction of the lower Nyquist frequency (torchaudio's kaiser_best uses 0.9476).</summary>
    public const double Rolloff = 0.945;
    /// <summary>Sinc zero crossings on each side of the centre: the filter's length and steepness.</summary>
    public const int ZeroCrossings = 32;
    /// <summary>Kaiser β: ~−100 dB side lobes.</summary>
    public const double KaiserBeta = 10.0;

    private readonly int _up, _down, _half;
    private readonly double[] _table; // [phase][tap], tap j ↔ input offset j − _half + 1

    public int FromRate { get; }
    public int ToRate { get; }

    public Resampler(int fromRate, int toRate)
    {
        if (fromRate <= 0 || toRate <= 0) throw new ArgumentOutOfRangeException(nameof(fromRate), $"sample rates must be positive, got {fromRate} → {toRate}.");
        FromRate = fromRate; ToRate = toRate;
        int g = Gcd(fromRate, toRate);
        _up = toRate / g; _down = fromRate / g;
        // Cutoff in cycles per input sample: half of min(1, L/M) times the rolloff.
        double fc = 0.5 * Rolloff * Math.Min(1.0, (double)_up / _down);
        _half = (int)Math.Ceiling(ZeroCrossings / (2 * fc));
        int taps = 2 * _half;
        _table = new double[(long)_up * taps];
        double i0Beta = BesselI0(KaiserBeta);
        for (int r = 0; r < _up; r++)
            for (int j = 0; j < taps; j++)
            {
                double delta = j - _half + 1 - (double)r / _up; // input index − output position, in input samples
                double u = delta / _half;
                double w = Math.Abs(u) >= 1 ? 0 : BesselI0(KaiserBeta * Math.Sqrt(1 - u * u)) / i0Beta;
                double x = 2 * fc * delta;
                double sinc = x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);
                _table[(long)r * taps + j] = 2 * fc * sinc * w;
            }
    }

    public static float[] Resample(float[] input, int fromRate, int toRate) =>
        fromRate == toRate ? (float[])input.Clone() : new Resampler(fromRate, toRate).Process(input);

    public float[] Process(ReadOnlySpan<float> x)
    {
        long n = ((long)x.Length * _up + _down - 1) / _down;
        var y = new float[n];
        int taps = 2 * _half;
        for (long i = 0; i < n; i++)
        {
            long num = i * _down;
            long baseIdx = num / _up;
            int phase = (int)(num % _up);
            long first = baseIdx - _half + 1;
            int j0 = (int)Math.Max(0, -first), j1 = (int)Math.Min(taps, x.Length - first);
            double acc = 0;
            var row = _table.AsSpan(phase * taps, taps);
            for (int j = j0; j < j1; j++) acc += row[j] * x[(int)(first + j)];
            y[i] = (float)acc;
        }
        return y;
    }

    private static int Gcd(int a, int b) { while (b != 0) (a, b) = (b, a % b); return a; }

    /// <summary>Modified Bessel function of the first kind, order 0 (power series; converges fast for the β used here).</summary>
    internal static double BesselI0(double x)
    {
        double sum = 1, term = 1, q = x * x / 4;
        for (int k = 1; k < 200; k++)
        {
            term *= q / ((double)k * k);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        return sum;
    }
}
