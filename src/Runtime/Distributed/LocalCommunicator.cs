namespace Engine.Runtime.Distributed;

/// <summary>The world of one process: every collective is the identity (or a copy), so single-process code needs no branches.</summary>
public sealed class LocalCommunicator(Device device) : ICommunicator
{
    public static readonly LocalCommunicator Cpu = new(Device.Cpu);

    public string Backend => "local";
    public int Rank => 0;
    public int Size => 1;
    public Device Device { get; } = device;

    public void AllReduceSum(Tensor tensor) { }
    public void ReduceScatterSum(Tensor input, Tensor output) => Collectives.CheckBlocks(input, output, 1, "ReduceScatterSum").Reshape(output.ShapeArray()).CopyTo(output);
    public void AllGather(Tensor input, Tensor output)
    {
        Collectives.CheckBlocks(output, input, 1, "AllGather");
        input.Reshape(output.ShapeArray()).CopyTo(output);
    }
    public void Broadcast(Tensor tensor, int root) => Collectives.CheckRoot(root, 1);
    public void Barrier() { }
    public void AllReduceSum(Span<double> values) { }
    public void Broadcast(Span<byte> bytes, int root) => Collectives.CheckRoot(root, 1);
    public void Dispose() { }
}
