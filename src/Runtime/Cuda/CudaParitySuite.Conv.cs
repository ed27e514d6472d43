namespace Engine.Runtime.Cuda;

/// <summary>Conv1d (kernels/conv.cu + cuBLAS) through CudaBackend against the CPU reference: forward and every gradient.</summary>
public static partial class CudaParitySuite
{
    private static void ConvRows(ulong seed, List<Row> rows, int ordinal)
    {
        var cpu = Backend.Cpu;
        var gpu = CudaBackend.Get(ordinal);
        var dev = Device.Cuda(ordinal);
        Tensor G(Tensor t) => t.To(dev);
        float[] H(Tensor t) => t.To(Device.Cpu).ToArray<float>();

        // Whisper's two convs (k3 p1, stride 1 then 2), a dilated one, and odd sizes where taps reach past both ends.
        foreach (var g in new[]
        {
            new Conv1dGeometry(2, 13, 50, 24, 3, 1, 1, 1), new Conv1dGeometry(2, 24, 50, 24, 3, 2, 1, 1),
            new Conv1dGeometry(3, 5, 37, 7, 5, 3, 4, 2), new Conv1dGeometry(1, 1, 9, 2, 9, 1, 0, 1),
        })
        {
            string shape = g.ToString();
            var x = Tensor.RandN([g.Batch, g.InChannels, g.Length], seed + 91);
            var w = Tensor.RandN([g.OutChannels, g.InChannels, g.KernelSize], seed + 92);
            var b = Tensor.RandN([g.OutChannels], seed + 93);
            var gy = Tensor.RandN([g.Batch, g.OutChannels, g.OutLength], seed + 94);
            rows.Add(new Row("conv1d.fwd", shape, RelError(H(cpu.Conv1d(x, w, b, g)), H(gpu.Conv1d(G(x), G(w), G(b), g))), F32));
            rows.Add(new Row("conv1d.fwd.nobias", shape, RelError(H(cpu.Conv1d(x, w, null, g)), H(gpu.Conv1d(G(x), G(w), null, g))), F32));
            rows.Add(new Row("conv1d.bwd.x", shape, RelError(H(cpu.Conv1dBackwardInput(gy, w, g)), H(gpu.Conv1dBackwardInput(G(gy), G(w), g))), F32));
            rows.Add(new Row("conv1d.bwd.w", shape, RelError(H(cpu.Conv1dBackwardWeight(x, gy, g)), H(gpu.Conv1dBackwardWeight(G(x), G(gy), g))), F32));
            rows.Add(new Row("conv1d.bwd.b", shape, RelError(H(cpu.Conv1dBackwardBias(gy, g)), H(gpu.Conv1dBackwardBias(G(gy), g))), F32));
        }
    }
}
