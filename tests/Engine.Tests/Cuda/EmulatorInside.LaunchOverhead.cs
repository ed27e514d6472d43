using System.Diagnostics;
using Engine.Runtime;
using Engine.Runtime.Cuda;

namespace Engine.Tests.Cuda;

public static unsafe partial class EmulatorInside
{
    /// <summary>
    /// Managed bytes allocated per launch and host µs per launch (emulator: mostly its fibers) over
    /// <paramref name="launches"/> launches of tiny kernels: [bytes, µs] for (1) the typed launcher of scale_inplace_f32
    /// (3 arguments) on one element, (2) CudaBackend.ScaleInPlace, the same kernel through the op surface, (3) the typed
    /// launcher of rmsnorm_fwd_f32 (6 arguments) on one row of one element. The module is loaded and the JIT warmed
    /// before measuring. (Before the typed launchers, the string-and-object[] launch allocated 240 and 336 bytes.)
    /// </summary>
    public static double[] LaunchOverhead(string lib, int launches)
    {
        var dev = Device0(lib);
        var gpu = CudaBackend.Get(0);
        var x = Tensor.Zeros([1], DType.F32, Engine.Runtime.Device.Cuda(0));
        var ptr = new CudaPointer((ulong)x.RawPointer);
        void Raw() => OptimKernels.ScaleInplaceF32(dev.CurrentStream, Grid.Elements(1), ptr, 1f, 1L);
        void Op() => gpu.ScaleInPlace(x, 1.0);
        var w = Tensor.FromArray(new[] { 1f }, 1).To(Engine.Runtime.Device.Cuda(0));
        var y = Tensor.Zeros([1], DType.F32, Engine.Runtime.Device.Cuda(0));
        var r = Tensor.Zeros([1], DType.F32, Engine.Runtime.Device.Cuda(0));
        CudaPointer wp = new((ulong)w.RawPointer), yp = new((ulong)y.RawPointer), rp = new((ulong)r.RawPointer);
        void Norm() => NormKernels.RmsnormFwdF32(dev.CurrentStream, Grid.Blocks(1), ptr, wp, yp, rp, 1, 1e-6f);
        return [.. Measure(dev, Raw, launches), .. Measure(dev, Op, launches), .. Measure(dev, Norm, launches)];
    }

    private static double[] Measure(CudaDevice dev, Action launch, int launches)
    {
        for (int i = 0; i < 100; i++) launch();
        dev.Synchronize();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < launches; i++) launch();
        dev.Synchronize();
        double us = sw.Elapsed.TotalMicroseconds / launches;
        return [(GC.GetAllocatedBytesForCurrentThread() - before) / (double)launches, us];
    }
}
