using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Runtime;

namespace Engine.Methods.Training;

/// <summary>What an SFT step's loss averages over.</summary>
public enum SftLossNormalization
{
    /// <summary>L = Σ_b w_b Σ_t CE(b,t) / (counted tokens of the step): transformers' token mean when all w_b = 1.</summary>
    Tokens,
    /// <summary>L = Σ_b w_b · mean_t CE(b,t) / (examples of the step): each example's token-mean NLL, averaged over examples (CCL, Eq. 6).</summary>
    ExampleMean,
}

public sealed record SftOptions
{
    public SftLossNormalization Normalization { get; init; } = SftLossNormalization.Tokens;
}

/// <summary>
/// Supervised fine-tuning: next-token cross-entropy on the labelled positions, each example weighted by its weight
/// (<see cref="SftExample.Weight"/>, or what a subclass's <c>ExampleWeight</c> says), averaged as
/// <see cref="SftOptions.Normalization"/> says. With all weights 1 and token normalisation this is transformers' loss.
/// </summary>
public class SftTrainer(TrainableModel model, IReadOnlyList<SftExample> train, TrainerOptions options,
    IBatchSampler? sampler = null, IReadOnlyList<SftExample>? eval = null, SftOptions? sft = null)
    : TrainerBase<SftExample>(model, train, options, sampler, eval)
{
    public SftOptions SftOptions { get; } = sft ?? new SftOptions();

    public override string Method => "sft";

    protected override double ExampleWeight(bool training, int index) => SetOf(training)[index].Weight;

    private int Counted(SftExample e)
    {
        int len = Options.MaxLength > 0 ? Math.Min(Options.MaxLength, e.Labels.Length) : e.Labels.Length, n = 0;
        for (int j = 1; j < len; j++) if (e.Labels[j] != LabelMask.Ignore) n++;
        return n;
    }

    protected override double NormalizerUnits(IReadOnlyList<SftExample> stepExamples) =>
        SftOptions.Normalization == SftLossNormalization.ExampleMean ? stepExamples.Count : stepExamples.Sum(e => (long)Counted(e));

    protected override MicroBatchLoss ComputeLoss(IReadOnlyList<SftExample> micro, double stepUnits, TrainingStepContext ctx)
    {
        var batch = TokenBatch.FromSft(micro, Options.MaxLength, Options.PadTokenId).To(Model.Model.Device);
        int b = batch.Rows, t = batch.Time;
        Tensor? logits = null;
        Tensor perToken;
        int chunk = Options.LossChunkTokens ?? Model.Model.AutoLossChunkTokens;
        if (chunk > 0)
        {
            // Long contexts: the logits exist one block of positions at a time (ctx.Logits stays null).
            var hidden = Model.Model.ForwardHidden(batch.Ids, batch.KeyMask);
            perToken = Model.Model.ChunkedCrossEntropy(hidden.Reshape(b * t, hidden.Size(-1)), batch.Targets.Reshape(b * t), chunk, LabelMask.Ignore).Reshape(b, t);
        }
        else
        {
            logits = Model.Model.Forward(batch.Ids, batch.KeyMask);
            perToken = Ops.CrossEntropy(logits.Reshape(b * t, logits.Size(-1)), batch.Targets.Reshape(b * t), LabelMask.Ignore, Reduction.None).Reshape(b, t);
        }
        // Weight matrix: w_b on counted positions (over the row's count for example means), 0 elsewhere, over the step's units.
        var mask = batch.CountedMask(DType.F64).ToDoubleArray();
        bool perExample = SftOptions.Normalization == SftLossNormalization.ExampleMean;
        double denom = Math.Max(1, stepUnits);
        var w = new float[b * t]; var plain = new float[b * t];
        for (int i = 0; i < b; i++)
        {
            double rowScale = perExample ? 1.0 / Math.Max(1, batch.CountedTokens[i]) : 1.0;
            for (int j = 0; j < t; j++)
            {
                plain[i * t + j] = (float)(mask[i * t + j] * rowScale / denom);
                w[i * t + j] = (float)(mask[i * t + j] * rowScale * ctx.ExampleWeights[i] / denom);
            }
        }
        var loss = Ops.Sum(Ops.Mul(perToken, Const(w, b, t, perToken)));
        ctx.Batch = batch; ctx.Logits = logits; ctx.PerTokenLoss = perToken;
        double plainCe;
        using (Autograd.NoGrad())
            plainCe = Ops.Sum(Ops.Mul(perToken.Detach(), Const(plain, b, t, perToken))).Item();
        double share = perExample ? b / denom : batch.TotalCounted / denom;
        return new MicroBatchLoss(loss, batch.Lengths.Sum(), share, new Dictionary<string, double> { ["ce"] = plainCe });
    }

    private static Tensor Const(float[] values, int b, int t, Tensor like)
    {
        var x = Tensor.FromArray(values, b, t).To(like.DType);
        return like.Device.IsCpu ? x : x.To(like.Device);
    }
}
