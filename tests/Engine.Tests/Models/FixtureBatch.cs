using System.Text.Json.Nodes;
using Engine.Runtime;

namespace Engine.Tests.Models;

/// <summary>
/// The padded batch of a checkpoint fixture's reference.json (make_reference.py): input ids, lengths, the key mask,
/// and the float64 PyTorch logits of every real (unpadded) position.
/// </summary>
public sealed class FixtureBatch
{
    public JsonNode Reference { get; }
    public long[][] Ids { get; }
    public int[] Lengths { get; }
    public long[] Mask { get; }
    public int B => Ids.Length;
    public int T => Ids[0].Length;

    private FixtureBatch(JsonNode reference)
    {
        Reference = reference;
        Ids = reference["input_ids"]!.AsArray().Select(r => r!.AsArray().Select(v => (long)v!.GetValue<int>()).ToArray()).ToArray();
        Lengths = reference["lengths"]!.AsArray().Select(v => v!.GetValue<int>()).ToArray();
        Mask = new long[B * T];
        for (int i = 0; i < B; i++) for (int j = 0; j < Lengths[i]; j++) Mask[i * T + j] = 1;
    }

    public static FixtureBatch Load(string fixture) =>
        new(JsonNode.Parse(File.ReadAllText(Path.Combine(TransformerParityTests.FixtureDir(fixture), "reference.json")))!);

    public Tensor IdsTensor(Device device) => Tensor.FromArray(Ids.SelectMany(x => x).ToArray(), B, T).To(device);
    public Tensor MaskTensor(Device device) => Tensor.FromArray(Mask, B, T).To(device);

    /// <summary>The reference logits of row i, position j.</summary>
    public double[] Expected(int i, int j) => Reference["logits"]![i]![j]!.AsArray().Select(x => x!.GetValue<double>()).ToArray();

    /// <summary>
    /// max over real positions of max_k |logits − other| / max_k |reference logit| (other: the reference itself when null),
    /// for logits [B, T, V] flattened; NaN as soon as a logit is NaN.
    /// </summary>
    public double MaxRelativeError(double[] logits, int vocab, double[]? other = null)
    {
        double worst = 0;
        for (int i = 0; i < B; i++)
            for (int j = 0; j < Lengths[i]; j++)
            {
                var expected = Expected(i, j);
                double scale = expected.Max(Math.Abs);
                for (int k = 0; k < vocab; k++)
                {
                    int at = (i * T + j) * vocab + k;
                    if (double.IsNaN(logits[at])) return double.NaN;
                    worst = Math.Max(worst, Math.Abs(logits[at] - (other is null ? expected[k] : other[at])) / scale);
                }
            }
        return worst;
    }
}
