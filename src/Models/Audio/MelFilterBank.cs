namespace Engine.Models.Audio;

/// <summary>
/// Triangular mel filters on the Slaney mel scale with Slaney area normalisation (librosa.filters.mel's defaults,
/// which Whisper's filters were made with): linear below 1 kHz (3 mels per 200 Hz), logarithmic above (27 mels per
/// factor 6.4); each filter rises from its left to its centre band edge and falls to its right one, scaled by 2 / width.
/// </summary>
public static class MelFilterBank
{
    private const double MinLogHz = 1000, MinLogMel = 15, LogStep = 27.0 / 1.8562979903656263; // ln(6.4)

    public static double HzToMel(double hz) => hz < MinLogHz ? 3 * hz / 200 : MinLogMel + Math.Log(hz / MinLogHz) * LogStep;

    public static double MelToHz(double mel) => mel < MinLogMel ? 200 * mel / 3 : MinLogHz * Math.Exp((mel - MinLogMel) / LogStep);

    /// <summary>Filters [nMels, nFft/2 + 1] (row-major) over 0 .. sampleRate/2.</summary>
    public static double[] Create(int nMels, int nFft, int sampleRate, double fMin = 0, double? fMax = null)
    {
        int bins = nFft / 2 + 1;
        double hi = fMax ?? sampleRate / 2.0;
        double melLo = HzToMel(fMin), melHi = HzToMel(hi);
        var edges = new double[nMels + 2];
        for (int i = 0; i < edges.Length; i++) edges[i] = MelToHz(melLo + (melHi - melLo) * i / (nMels + 1));
        var f = new double[nMels * bins];
        for (int m = 0; m < nMels; m++)
        {
            double left = edges[m], centre = edges[m + 1], right = edges[m + 2], norm = 2 / (right - left);
            for (int k = 0; k < bins; k++)
            {
                double hz = (double)k * sampleRate / nFft;
                double up = (hz - left) / (centre - left), down = (right - hz) / (right - centre);
                f[m * bins + k] = Math.Max(0, Math.Min(up, down)) * norm;
            }
        }
        return f;
    }
}
