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
    /// <remarks>If the body throws, the capture is ended, the partial graph dropped, the reserved blocks returned to the
    /// pool, and the body's exception rethrown; a driver refusal (an illegal call inside the capture) is a CudaException.</remarks>
    public static CudaGraph Capture(CudaStream stream, Action body)
    {
        var dev = stream.Device;
        dev.MakeCurrent();
        dev.Memory.BeginCapture(stream.Handle);
        IntPtr graph = IntPtr.Zero, exec = IntPtr.Zero;
        List<(ulong, long)>? blocks = null;
        Exception? failure = null;
        int rc = CudaDriver.cuStreamBeginCapture(stream.Handle, CudaDriver.CaptureModeRelaxed);
        if (rc == 0)
        {
            try { using (dev.UseStream(stream)) body(); }
            catch (Exception e) { failure = e; }
            // Always end the capture, so the stream is usable again even when the body threw.
            rc = CudaDriver.cuStreamEndCapture(stream.Handle, &graph);
            if (failure is null && rc == 0) rc = CudaDriver.cuGraphInstantiateWithFlags(&exec, graph, 0);
        }
        blocks = dev.Memory.EndCapture();
        if (failure is null && rc == 0) return new CudaGraph(stream, graph, exec, blocks);

        if (graph != IntPtr.Zero) CudaDriver.cuGraphDestroy(graph);
        dev.Memory.ReleaseCaptured(blocks, stream.Handle);
        if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        CudaDriver.Check(rc, $"graph capture on {stream} (cuStreamBeginCapture/cuStreamEndCapture/cuGraphInstantiateWithFlags)");
        throw new InvalidOperationException("unreachable");
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
