using Engine.Methods.Pruning.DRPruning;
using Engine.Runtime;
using Engine.Tests.Models;

namespace Engine.Tests.Cuda;

public static partial class EmulatorInside
{
    /// <summary>
    /// The L0 module and the masked forward of a tiny GQA model on cuda:0 and on the CPU, from the same log α and seed:
    /// [0,1] logits (cuda, cpu), [2,3] the sampled gates, [4,5] the gradients of (logits·w + Lagrangian) with respect to
    /// every log α and λ, [6,7] the deterministic masks (score-sized, then exact targets), [8] the expected sparsities
    /// (cuda then cpu, per module).
    /// </summary>
    public static double[][] DrPruningMaskedForward(string lib)
    {
        Device0(lib);
        var outputs = new List<double[]>[9];
        for (int i = 0; i < 9; i++) outputs[i] = [];
        var ids = Tensor.FromArray(new long[] { 3, 9, 1, 14, 7, 22, 5, 11, 2, 8, 19, 6, 13, 4 }, 2, 7);
        var mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, 2, 7);
        foreach (var dev in new[] { Engine.Runtime.Device.Cuda(0), Engine.Runtime.Device.Cpu })
        {
            var model = HookModels.Tiny(DType.F32, device: dev);
            var l0 = new L0Module(model.Config, new TargetShape(12, 2, 1, 2, 12), seed: 3, warmupSteps: 4, dev);
            using (Autograd.NoGrad())
                foreach (var (m, i) in l0.Masks.Select((m, i) => (m, i)))
                {
                    // Spread over and beyond the clamp box, so the clamp kernel and the hardtanh edges both matter.
                    Ops.Affine(Tensor.RandN(m.LogAlpha.Shape, 50 + (ulong)i, 1.0), 3.0, 0.5).To(dev).CopyTo(m.LogAlpha);
                    Tensor.Full([1], 0.2 + i).To(dev).CopyTo(m.Lambda1);
                    Tensor.Full([1], 0.5).To(dev).CopyTo(m.Lambda2);
                }
            var leaves = l0.Masks.SelectMany(m => new[] { m.LogAlpha, m.Lambda1, m.Lambda2 }).ToArray();
            foreach (var t in leaves) t.RequiresGrad = true;
            l0.Constrain();
            var z = l0.Sample();
            model.Masks = z;
            var logits = model.Forward(ids.To(dev), mask.To(dev));
            var w = Tensor.RandN(logits.Shape, 5, 1.0).To(dev);
            Ops.Add(Ops.Sum(Ops.Mul(logits, w)).Reshape(1), l0.Lagrangian(2)).Backward();
            int k = dev.IsCpu ? 1 : 0;
            outputs[0 + k].Add(logits.To(Engine.Runtime.Device.Cpu).ToDoubleArray());
            outputs[2 + k].Add(new[] { z.Hidden!, z.KvHeads!, z.Intermediate!, z.MlpLayers! }.SelectMany(t => t.To(Engine.Runtime.Device.Cpu).ToDoubleArray()).ToArray());
            outputs[4 + k].Add(leaves.SelectMany(t => t.Grad!.To(Engine.Runtime.Device.Cpu).ToDoubleArray()).ToArray());
            var det = new[] { l0.Deterministic(false), l0.Deterministic(true) };
            outputs[6 + k].Add(det.SelectMany(d => new[] { d.Hidden!, d.KvHeads!, d.Intermediate!, d.MlpLayers! }).SelectMany(t => t.To(Engine.Runtime.Device.Cpu).ToDoubleArray()).ToArray());
            outputs[8].Add(l0.Masks.SelectMany(l0.ExpectedSparsity).ToArray());
        }
        return outputs.Select(o => o.SelectMany(x => x).ToArray()).ToArray();
    }
}
