using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Models;

namespace Engine.Tests.Cuda;

public static partial class EmulatorInside
{
    /// <summary>
    /// A tiny model in training mode with attention and residual dropout, same seed on cuda:0 and on the CPU: the logits
    /// of two successive forwards on each device, then the CPU's eval-mode logits.
    /// </summary>
    public static double[][] DropoutForwards(string lib)
    {
        Device0(lib);
        var ids = Tensor.FromArray(new long[] { 3, 9, 1, 14, 7, 22, 5, 11, 2, 8, 19, 6, 13, 4 }, 2, 7);
        var mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, 2, 7);
        var outputs = new List<double[]>();
        foreach (var dev in new[] { Engine.Runtime.Device.Cuda(0), Engine.Runtime.Device.Cpu })
        {
            var model = HookModels.Tiny(DType.F32, device: dev);
            model.AttentionDropout = 0.25; model.HiddenDropout = 0.25;
            model.DropoutGenerator = new Generator(42);
            model.Training = true;
            using var _ = Autograd.NoGrad();
            for (int i = 0; i < 2; i++) outputs.Add(model.Forward(ids.To(dev), mask.To(dev)).To(Engine.Runtime.Device.Cpu).ToDoubleArray());
        }
        var eval = HookModels.Tiny(DType.F32);
        using (Autograd.NoGrad()) outputs.Add(eval.Forward(ids, mask).ToDoubleArray());
        // cuda first, cpu first, cuda second, cpu second, cpu eval
        return [outputs[0], outputs[2], outputs[1], outputs[3], outputs[4]];
    }

    /// <summary>
    /// A pruning fixture's masked forward and backward on cuda:0 and on the CPU (f32): both devices' logits, then both
    /// devices' gradients of a loss with respect to all masks (concatenated).
    /// </summary>
    public static double[][] MaskedFixture(string lib, string fixture)
    {
        Device0(lib);
        var result = new List<double[]>();
        var grads = new List<double[]>();
        foreach (var dev in new[] { Engine.Runtime.Device.Cuda(0), Engine.Runtime.Device.Cpu })
        {
            var model = TransformerModel.Load(HookModels.PruningFixture(fixture), dev);
            var host = HookModels.FixtureMasks(fixture, DType.F32);
            var leaves = new[] { host.Hidden, host.Heads, host.KvHeads, host.Intermediate, host.AttentionLayers, host.MlpLayers }.OfType<Tensor>().ToArray();
            foreach (var t in leaves) t.RequiresGrad = true;
            model.Masks = host; // on the host: the forward moves them to the device and the gradients back
            var (ids, mask, _) = HookModels.FixtureBatch(fixture, dev);
            var logits = model.Forward(ids, mask);
            result.Add(logits.To(Engine.Runtime.Device.Cpu).ToDoubleArray());
            var weights = Tensor.RandN(logits.Shape, 5, 1.0).To(dev);
            Ops.Sum(Ops.Mul(logits, weights)).Backward();
            grads.Add(leaves.SelectMany(t => t.Grad!.ToDoubleArray()).ToArray());
        }
        return [result[0], result[1], grads[0], grads[1]];
    }

    /// <summary>Mean-pooled embeddings of three texts (a padded batch) on cuda:0 and on the CPU, each flattened.</summary>
    public static double[][] PooledEmbeddings(string lib)
    {
        Device0(lib);
        int[][] texts = [[3, 9, 1, 14], [7, 22, 5, 11, 2, 8, 19], [4, 4]];
        return new[] { Engine.Runtime.Device.Cuda(0), Engine.Runtime.Device.Cpu }
            .Select(d => new Engine.Models.Embeddings.MeanPooledEmbedder(HookModels.Tiny(DType.F32, device: d)).Embed(texts).SelectMany(v => v.Select(x => (double)x)).ToArray())
            .ToArray();
    }
}
