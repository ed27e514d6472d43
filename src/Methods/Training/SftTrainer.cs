using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Methods.Training.Sampling;
using Engine.Runtime;

namespace Engine.Methods.Training;

/// <summary>
/// Supervised fine-tuning: next-token cross-entropy on the labelled positions, each example's tokens weighted
/// by <see cref="SftExample.Weight"/>, averaged over the step's counted tokens:
/// L = Σ_b w_b Σ_t CE(b,t) / Σ_b Σ_t 1[label ≠ −100]. With all weights 1 this is transformers' loss.
/// </summary>
public sealed class SftTrainer(TrainableModel model, IReadOnlyList<SftExample> train, TrainerOptions options,
    IBatchSampler? sampler = null, IReadOnlyList<SftExample>? eval = null)
    : TrainerBase<SftExample>(model, train, options, sampler, eval)
{
    public override string Method => "sft";

    protected override double NormalizerUnits(IReadOnlyList<SftExample> stepExamples)
    {
        long n = 0;
        foreach (var e in stepExamples)
        {
            int len = Options.MaxLength > 0 ? Math.Min(Options.MaxLength, e.Labels.Length) : e.Labels.Length;
            for (int j = 1; j < len; j++) if (e.Labels[j] != LabelMask.Ignore) n++;
        }
        return n;
    }

    protected override MicroBatchLoss ComputeLoss(IReadOnlyList<SftExample> micro, double stepUnits, TrainingStepContext ctx)
    {
        var batch = TokenBatch.FromSft(micro, Options.MaxLength, Options.PadTokenId).To(Model.Model.Device);
        var logits = Model.Model.Forward(batch.Ids, batch.KeyMask);
        int b = batch.Rows, t = batch.Time, v = logits.Size(-1);
        var perToken = Ops.CrossEntropy(logits.Reshape(b * t, v), batch.Targets.Reshape(b * t), LabelMask.Ignore, Reduction.None).Reshape(b, t);
        // Weight matrix: w_b on counted positions, 0 elsewhere, divided by the step's token count.
        var mask = batch.CountedMask(DType.F64).ToDoubleArray();
        var w = new float[b * t];
        double denom = Math.Max(1, stepUnits);
        for (int i = 0; i < b; i++)
            for (int j = 0; j < t; j++) w[i * t + j] = (float)(mask[i * t + j] * micro[i].Weight / denom);
        var wt = Tensor.FromArray(w, b, t).To(perToken.DType);
        if (!perToken.Device.IsCpu) wt = wt.To(perToken.Device);
        var loss = Ops.Sum(Ops.Mul(perToken, wt));
        ctx.Batch = batch; ctx.Logits = logits; ctx.PerTokenLoss = perToken;
        double plainCe;
        using (Autograd.NoGrad())
            plainCe = Ops.Sum(Ops.Mul(perToken.Detach(), batch.CountedMask(perToken.DType))).Item() / denom;
        return new MicroBatchLoss(loss, batch.Lengths.Sum(), batch.TotalCounted / denom, new Dictionary<string, double> { ["ce"] = plainCe });
    }
}
