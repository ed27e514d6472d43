using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Infrastructure;
using Engine.Tests.Models;
using Xunit.Abstractions;
using static Engine.Tests.Training.ToyTraining;

namespace Engine.Tests.MixedPrecision;

/// <summary>Inference with bf16 weights: loaded as bf16, consumed by autocast matmuls, activations in f32.</summary>
public class Bf16InferenceTests(ITestOutputHelper output)
{
    private const int Vocab = 28;

    private static TransformerModel Random(ulong seed) => TransformerModel.CreateRandom(Config(Vocab, hidden: 64, layers: 2) with { InitializerRange = 0.05 }, seed);

    private static Tensor Ids(ulong seed, int b, int t) => Rand.Ids(seed, Vocab, b, t);

    private static double[] Logits(TransformerModel m, Tensor ids)
    {
        using var _ = Autograd.NoGrad();
        return m.Forward(ids).ToDoubleArray();
    }

    private static int[] ArgMax(double[] logits) =>
        Enumerable.Range(0, logits.Length / Vocab).Select(r => Enumerable.Range(0, Vocab).MaxBy(k => logits[r * Vocab + k])).ToArray();

    [Fact]
    public void Bf16ModelMatchesTheF32ForwardWithinBf16TolerancesAndHalvesTheWeights()
    {
        var dir = TempDir();
        try
        {
            Random(7).Save(dir);                               // f32 on disk
            var f32 = TransformerModel.Load(dir);
            var bf16 = TransformerModel.Load(dir, dtype: DType.BF16);
            Assert.Equal(DType.BF16, bf16.ComputeDType);
            Assert.Null(f32.ComputeDType);
            Assert.All(bf16.Parameters.Values, t => Assert.Equal(DType.BF16, t.DType));
            Assert.Equal(f32.Parameters.Values.Sum(t => t.Storage.Bytes), 2 * bf16.Parameters.Values.Sum(t => t.Storage.Bytes));

            var ids = Ids(3, 3, 17);
            var a = Logits(f32, ids); var b = Logits(bf16, ids);
            double scale = a.Max(Math.Abs), worst = a.Select((v, i) => Math.Abs(v - b[i])).Max();
            var ta = ArgMax(a); var tb = ArgMax(b);
            double agree = ta.Zip(tb).Count(p => p.First == p.Second) / (double)ta.Length;
            output.WriteLine($"max |logit| {scale:F4}, max |bf16 − f32| {worst:E3} ({worst / scale:E3} relative), argmax agreement {agree:P1}");
            Assert.True(worst <= 1e-2 * scale, $"bf16 logits differ by {worst} (max |logit| {scale})");
            Assert.True(worst > 1e-5 * scale, "bf16 logits should not equal the f32 ones (is the bf16 path used?)");
            Assert.True(agree >= 0.9, $"argmax agreement {agree:P1}");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Bf16CheckpointIsUsedAsItIsAndEqualsAutocastOverRoundedF32Weights()
    {
        var f32Dir = TempDir(); var bf16Dir = TempDir();
        try
        {
            var source = Random(8);
            source.Save(f32Dir);
            source.Save(bf16Dir, DType.BF16);
            var fromBf16 = TransformerModel.Load(bf16Dir, dtype: DType.BF16);    // zero-copy views of the bf16 file
            var fromF32 = TransformerModel.Load(f32Dir, dtype: DType.BF16);      // rounded while loading
            // f32 weights holding the bf16-rounded values, run under an explicit autocast: the same math by definition.
            var rounded = TransformerModel.Load(bf16Dir, dtype: DType.F32);
            rounded.ComputeDType = DType.BF16;
            var ids = Ids(4, 2, 13);
            var a = Logits(fromBf16, ids);
            Assert.Equal(a, Logits(fromF32, ids));
            Assert.Equal(a, Logits(rounded, ids));
            rounded.ComputeDType = null;                                         // plain f32 activations: differs
            Assert.NotEqual(a, Logits(rounded, ids));
        }
        finally { Directory.Delete(f32Dir, true); Directory.Delete(bf16Dir, true); }
    }

    [Fact]
    public void GreedyDecodingWithTheKvCacheMostlyAgreesWithF32()
    {
        var dir = TempDir();
        try
        {
            Random(9).Save(dir);
            var f32 = TransformerModel.Load(dir);
            var bf16 = TransformerModel.Load(dir, dtype: DType.BF16);
            int agreeTotal = 0, total = 0;
            for (ulong p = 0; p < 4; p++)
            {
                var prompt = Ids(20 + p, 1, 5).ToArray<long>();
                var ga = Greedy(f32, prompt, 12); var gb = Greedy(bf16, prompt, 12);
                // Compare until the first divergence (after it the contexts differ).
                int same = ga.Zip(gb).TakeWhile(x => x.First == x.Second).Count();
                agreeTotal += same; total += ga.Length;
                output.WriteLine($"prompt {p}: f32 [{string.Join(",", ga)}] bf16 [{string.Join(",", gb)}]");
            }
            Assert.True(agreeTotal >= 0.75 * total, $"{agreeTotal}/{total} greedy tokens agree before the first divergence");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void CachedDecodingOfABf16ModelMatchesItsFullForward()
    {
        var m = Random(10);
        var dir = TempDir();
        try
        {
            m.Save(dir, DType.BF16);
            var bf16 = TransformerModel.Load(dir, dtype: DType.BF16);
            var ids = Ids(30, 1, 9);
            var full = Logits(bf16, ids);
            using var _ = Autograd.NoGrad();
            var cache = bf16.NewCache(1, 9);
            var step = new List<double>();
            step.AddRange(bf16.Forward(ids.Narrow(1, 0, 4).Contiguous(), cache: cache).ToDoubleArray());
            for (int t = 4; t < 9; t++) step.AddRange(bf16.Forward(ids.Narrow(1, t, 1).Contiguous(), cache: cache).ToDoubleArray());
            Close.All(full, [.. step], 1e-5, 1e-4, "cached vs full");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Theory]
    [MemberData(nameof(TransformerParityTests.Cases), MemberType = typeof(TransformerParityTests))]
    public void Bf16ForwardOfTheCheckpointFixturesStaysWithinBf16ToleranceOfTheFloat64Reference(string fixture)
    {
        // Independent reference: the fixtures' logits from a hand-written PyTorch float64 forward (padded batch).
        var batch = FixtureBatch.Load(fixture);
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir(fixture), dtype: DType.BF16);
        double[] logits;
        using (Autograd.NoGrad()) logits = model.Forward(batch.IdsTensor(Device.Cpu), batch.MaskTensor(Device.Cpu)).ToDoubleArray();
        double worst = batch.MaxRelativeError(logits, model.Config.VocabSize);
        output.WriteLine($"{fixture}: bf16 max |Δlogit| / max |logit| = {worst:E2}");
        Assert.True(worst <= 1.5e-2, $"{fixture}: bf16 logits off by {worst:E2} of the largest logit");
        Assert.True(worst > 1e-4, $"{fixture}: bf16 logits as close as f32 ({worst:E2}): is the bf16 path used?");
    }

    private static int[] Greedy(TransformerModel m, long[] prompt, int n)
    {
        using var _ = Autograd.NoGrad();
        var cache = m.NewCache(1, prompt.Length + n);
        var logits = m.Forward(Tensor.FromArray(prompt, 1, prompt.Length), cache: cache).ToDoubleArray();
        var outTokens = new List<int>();
        for (int i = 0; i < n; i++)
        {
            var last = logits.AsSpan(logits.Length - Vocab, Vocab).ToArray();
            int next = Array.IndexOf(last, last.Max());
            outTokens.Add(next);
            logits = m.Forward(Tensor.FromArray(new long[] { next }, 1, 1), cache: cache).ToDoubleArray();
        }
        return [.. outTokens];
    }
}
