using Engine.Runtime;
using Engine.Runtime.Cuda;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.HardConcrete;

/// <summary>
/// The Ops surface end to end on CUDA (a GPU, or the CPU emulator when ENGINE_CUDA_EMULATOR names it) against the
/// CPU, gradients included. Without a device the cuda tensors cannot be made, and the test checks that error instead.
/// </summary>
public class HardConcreteCudaTests
{
    [Fact]
    public void OpsAndGradientsMatchTheCpuOnCuda()
    {
        var la = Tensor.RandN([6, 389], 131, 2.5);
        if (!CudaProbe.Probe().Found)
        {
            Assert.Contains("libcuda", Assert.ThrowsAny<Exception>(() => la.To(Device.Cuda(0))).Message);
            return;
        }
        var dev = Device.Cuda(0);
        var w = Tensor.RandN([6, 389], 132);
        (float[] y, float[] g) Run(Tensor x, Func<Tensor, Tensor> f)
        {
            x.RequiresGrad = true;
            var y = f(x);
            Ops.Sum(Ops.Mul(y, w.To(x.Device))).Backward();
            return (y.To(Device.Cpu).ToArray<float>(), x.Grad!.To(Device.Cpu).ToArray<float>());
        }
        foreach (var f in new Func<Tensor, Tensor>[] { x => Ops.HardConcreteSample(x, 17, 3), Ops.HardConcreteScore })
        {
            var (yc, gc) = Run(la.Clone(), f);
            var (yg, gg) = Run(la.To(dev), f);
            Close.All(yc.Select(v => (double)v).ToArray(), yg.Select(v => (double)v).ToArray(), 1e-6, 1e-5, "forward");
            Close.All(gc.Select(v => (double)v).ToArray(), gg.Select(v => (double)v).ToArray(), 1e-6, 1e-5, "gradient");
        }
        var mc = Ops.HardConcreteEvalMask(la).ToArray<float>();
        var mg = Ops.HardConcreteEvalMask(la.To(dev)).To(Device.Cpu).ToArray<float>();
        Assert.Equal(mc.Select(v => v == 0), mg.Select(v => v == 0));
    }
}
