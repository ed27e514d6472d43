using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using Engine.Runtime.Cuda;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Streams;

/// <summary>
/// CUDA stream plumbing through the op surface (no kernels of its own): a captured graph's replay equals the direct ops,
/// and work ordered across two streams by an event sees the first stream's result. Device-only: the CPU has no streams.
/// </summary>
public static class StreamCases
{
    private const int N = 4099;

    public static IEnumerable<OpCase> All() => [Graph(), EventOrdered()];

    /// <summary>(x + y)·y in f32, the two ops each case runs on the device.</summary>
    private static Tensor Want(Tensor[] t)
    {
        var (x, y) = (t[0].ToArray<float>(), t[1].ToArray<float>());
        return Tensor.FromArray(x.Select((v, i) => (v + y[i]) * y[i]).ToArray(), N);
    }

    private static OpCase Graph() => new()
    {
        Family = "Streams", Name = "graph.capture+replay", Shape = $"[{N}] 2 kernels", Op = BackendOp.Binary, DType = DType.F32, DeviceOnly = true,
        Inputs = s => [N(s, N), N(s + 1, N)],
        Run = t =>
        {
            var dev = CudaDevice.Get(t[0].Device.Index);
            var be = Be(t);
            using var s = CudaStream.Create(dev);
            Tensor? y = null;
            // The intermediate is allocated and dropped inside the capture: the graph keeps its block.
            using (var g = CudaGraph.Capture(s, () => y = be.Binary(BinaryOp.Mul, be.Binary(BinaryOp.Add, t[0], t[1]), t[1])))
            {
                g.Launch();
                g.Launch();
                s.Synchronize();
            }
            return [Rel("graph.capture+replay", y!.To(Device.Cpu), 1e-6)];
        },
        Expected = t => [Rel("graph.capture+replay", Want(t), 1e-6)],
    };

    private static OpCase EventOrdered() => new()
    {
        Family = "Streams", Name = "streams.event-ordered", Shape = $"[{N}] 2 streams", Op = BackendOp.Binary, DType = DType.F32, DeviceOnly = true,
        Inputs = s => [N(s, N), N(s + 1, N)],
        Run = t =>
        {
            var dev = CudaDevice.Get(t[0].Device.Index);
            var be = Be(t);
            using var s1 = CudaStream.Create(dev);
            using var s2 = CudaStream.Create(dev);
            Tensor sum, y;
            using (dev.UseStream(s1)) sum = be.Binary(BinaryOp.Add, t[0], t[1]);
            using var done = s1.Record();
            s2.Wait(done);
            using (dev.UseStream(s2)) y = be.Binary(BinaryOp.Mul, sum, t[1]);
            s2.Synchronize();
            return [Rel("streams.event-ordered", y.To(Device.Cpu), 1e-6), Flag("streams.event-completed", done.IsCompleted)];
        },
        Expected = t => [Rel("streams.event-ordered", Want(t), 1e-6), Flag("streams.event-completed", true)],
    };
}
