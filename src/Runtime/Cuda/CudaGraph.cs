using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// A CUDA graph captured from the work a delegate submits to a stream, instantiated once and replayed with one
/// driver call. It pays where a step of fixed shapes launches many small kernels (a decode step: tens of kernels
/// of a few microseconds each, where launch overhead dominates).
/// <code>
/// using var g = CudaGraph.Capture(stream, () => { ...ops or launches... });
/// g.Launch();            // replays every captured kernel, in order, on the capture stream
/// </code>
/// Rules: inside the delegate only device work may happen (no host copies, no synchronize); every launch goes
/// to <paramref name="stream"/> because the delegate runs inside <see cref="CudaDevice.UseStream"/>. A replay
/// reads and writes the same addresses as the capture, so inputs are refreshed by copying into the tensors used at
/// capture time, and those tensors and the outputs must outlive the graph. Memory the delegate allocated and freed
/// stays reserved for the graph (see <see cref="CudaMemoryPool"/>) and returns to the pool on Dispose.
/// Capture uses CU_STREAM_CAPTURE_MODE_RELAXED so the pool may still call cuMemAlloc during capture.
/// </summary>
public sealed unsafe class CudaGraph : IDisposable
{
    private IntPtr _graph, _exec;
    private readonly List<(ulong address, long size)> _blocks;
    private CudaStream _lastStream;

    public CudaStream Stream { get; }
    /// <summary>Bytes of pool memory reserved for this graph's intermediate buffers.</summary>
    public long ReservedBytes { get; }

    private CudaGraph(CudaStream stream, IntPtr graph, IntPtr exec, List<(ulong, long)> blocks)
    {
        Stream = _lastStream = stream; _graph = graph; _exec = exec; _blocks = blocks;
        ReservedBytes = blocks.Sum(b => b.Item2);
    }

    /// <summary>Capture what <paramref name="body"/> submits to <paramref name="stream"/> and instantiate it.</summary>
    public static CudaGraph Capture(CudaStream stream, Action body)
    {
        var dev = stream.Device;
        dev.MakeCurrent();
        dev.Memory.BeginCapture(stream.Handle);
        IntPtr graph = IntPtr.Zero;
        List<(ulong, long)> blocks;
        try
        {
            CudaDriver.Check(CudaDriver.cuStreamBeginCapture(stream.Handle, CudaDriver.CaptureModeRelaxed), "cuStreamBeginCapture");
            Exception? failure = null;
            try { using (dev.UseStream(stream)) body(); }
            catch (Exception e) { failure = e; }
            // Always end the capture, so the stream is usable again even when the body threw.
            int rc = CudaDriver.cuStreamEndCapture(stream.Handle, &graph);
            if (failure is not null)
            {
                if (graph != IntPtr.Zero) CudaDriver.cuGraphDestroy(graph);
                throw new CudaException($"Graph capture on {stream} failed inside the captured code: {failure.Message}");
            }
            CudaDriver.Check(rc, "cuStreamEndCapture");
        }
        finally { blocks = dev.Memory.EndCapture(); }
        IntPtr exec;
        int irc = CudaDriver.cuGraphInstantiateWithFlags(&exec, graph, 0);
        if (irc != 0)
        {
            CudaDriver.cuGraphDestroy(graph);
            dev.Memory.ReleaseCaptured(blocks, stream.Handle);
            CudaDriver.Check(irc, "cuGraphInstantiateWithFlags");
        }
        return new CudaGraph(stream, graph, exec, blocks);
    }

    /// <summary>Replay the graph on its capture stream (or on <paramref name="stream"/>, same device).</summary>
    public void Launch(CudaStream? stream = null)
    {
        ObjectDisposedException.ThrowIf(_exec == IntPtr.Zero, this);
        var s = stream ?? Stream;
        if (s.Device != Stream.Device) throw new ArgumentException("A graph replays only on the device it was captured on.", nameof(stream));
        s.Device.MakeCurrent();
        CudaDriver.Check(CudaDriver.cuGraphLaunch(_exec, s.Handle), "cuGraphLaunch");
        _lastStream = s;
    }

    public void Dispose()
    {
        if (_exec == IntPtr.Zero) return;
        var dev = Stream.Device;
        dev.MakeCurrent();
        CudaDriver.cuGraphExecDestroy(_exec);
        CudaDriver.cuGraphDestroy(_graph);
        _exec = _graph = IntPtr.Zero;
        // Replays may still be running: the blocks go back as freed on the last replay's stream (event-guarded for
        // others). Replays on several streams must be ordered by the caller before Dispose.
        dev.Memory.ReleaseCaptured(_blocks, _lastStream.Handle);
    }
}
