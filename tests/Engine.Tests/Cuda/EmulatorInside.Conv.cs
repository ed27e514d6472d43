using Engine.Runtime;

namespace Engine.Tests.Cuda;

public static partial class EmulatorInside
{
    /// <summary>
    /// Ops.Conv1d with autograd on cuda:0 and on the CPU for one geometry: max relative error of y, dx, dw, db
    /// (the op table's Metrics.RelError) between the two.
    /// </summary>
    public static double[] Conv1dAutograd(string lib, int[] geo)
    {
        Device0(lib);
        int b = geo[0], cin = geo[1], l = geo[2], cout = geo[3], k = geo[4], s = geo[5], p = geo[6], d = geo[7];
        double[][] Run(Device dev)
        {
            var x = Tensor.RandN([b, cin, l], 31).To(dev); x.RequiresGrad = true;
            var w = Tensor.RandN([cout, cin, k], 32).To(dev); w.RequiresGrad = true;
            var bias = Tensor.RandN([cout], 33).To(dev); bias.RequiresGrad = true;
            var y = Ops.Conv1d(x, w, bias, s, p, d);
            var probe = Tensor.RandN(y.Shape, 34).To(dev);
            Ops.Sum(Ops.Mul(y, probe)).Backward();
            double[] H(Tensor t) => t.To(Engine.Runtime.Device.Cpu).ToDoubleArray();
            return [H(y), H(x.Grad!), H(w.Grad!), H(bias.Grad!)];
        }
        var gpu = Run(Engine.Runtime.Device.Cuda(0));
        var cpu = Run(Engine.Runtime.Device.Cpu);
        return cpu.Zip(gpu, Engine.Diagnostics.OpCases.Metrics.RelError).ToArray();
    }
}
