using Engine.Runtime.Cuda.Native;

namespace Engine.Runtime.Cuda;

/// <summary>
/// A CUDA stream of one device: work submitted to it runs in order; different streams may overlap. Created
/// non-blocking (no implicit sync with the legacy NULL stream), like the device's default stream. The default
/// stream is wrapped without ownership and is never destroyed through this object.
/// </summary>
public sealed unsafe class CudaStream : IDisposable
{
    private readonly bool _owned;
    public CudaDevice Device { get; }
    public IntPtr Handle { get; private set; }

    internal CudaStream(CudaDevice device, IntPtr handle, bool owned) { Device = device; Handle = handle; _owned = owned; }

    /// <summary>A new non-blocking stream on <paramref name="device"/>.</summary>
    public static CudaStream Create(CudaDevice device)
    {
        device.MakeCurrent();
        IntPtr s;
        CudaDriver.Check(CudaDriver.cuStreamCreate(&s, CudaDriver.StreamNonBlocking), "cuStreamCreate");
        device.Memory.StreamCreated(s);
        return new CudaStream(device, s, owned: true);
    }

    /// <summary>Block the host until all work submitted to this stream has completed.</summary>
    public void Synchronize()
    {
        Device.MakeCurrent();
        CudaDriver.Check(CudaDriver.cuStreamSynchronize(Live()), "cuStreamSynchronize");
    }

    /// <summary>True when all work submitted so far has completed (cuStreamQuery), without blocking.</summary>
    public bool IsIdle()
    {
        Device.MakeCurrent();
        int rc = CudaDriver.cuStreamQuery(Live());
        if (rc == CudaDriver.ErrorNotReady) return false;
        CudaDriver.Check(rc, "cuStreamQuery");
        return true;
    }

    /// <summary>Make later work on this stream wait (on the device, not the host) until <paramref name="e"/> has completed.</summary>
    public void Wait(CudaEvent e)
    {
        Device.MakeCurrent();
        CudaDriver.Check(CudaDriver.cuStreamWaitEvent(Live(), e.Handle, 0), "cuStreamWaitEvent");
    }

    /// <summary>Record a new event on this stream (a marker that completes when all earlier work has).</summary>
    public CudaEvent Record(bool timing = false)
    {
        var e = CudaEvent.Create(Device, timing);
        e.Record(this);
        return e;
    }

    /// <summary>True while this stream is being captured into a graph.</summary>
    public bool IsCapturing
    {
        get
        {
            int status;
            Device.MakeCurrent();
            CudaDriver.Check(CudaDriver.cuStreamIsCapturing(Live(), &status), "cuStreamIsCapturing");
            return status != CudaDriver.CaptureStatusNone;
        }
    }

    private IntPtr Live() => Handle != IntPtr.Zero || !_owned ? Handle : throw new ObjectDisposedException(nameof(CudaStream));

    public override string ToString() => _owned ? $"stream 0x{Handle:x} on cuda:{Device.Ordinal}" : $"default stream of cuda:{Device.Ordinal}";

    /// <summary>Raised by Dispose after the stream is synchronized and before it is destroyed (per-stream resources let go here).</summary>
    internal event Action<CudaStream>? Disposing;

    /// <summary>Synchronize, let per-stream resources go, tell the pool, destroy.</summary>
    public void Dispose()
    {
        if (!_owned || Handle == IntPtr.Zero) return;
        Device.MakeCurrent();
        CudaDriver.cuStreamSynchronize(Handle);
        Disposing?.Invoke(this);
        Device.Memory.StreamDestroyed(Handle);
        CudaDriver.cuStreamDestroy(Handle);
        Handle = IntPtr.Zero;
    }
}

/// <summary>
/// A CUDA event: a marker recorded on a stream that completes when the work before it has. Used to order
/// streams (<see cref="CudaStream.Wait"/>), to time GPU work (<see cref="ElapsedMs"/>, needs timing=true),
/// and by the memory pool to know when a block freed on one stream is safe for another.
/// </summary>
public sealed unsafe class CudaEvent : IDisposable
{
    public CudaDevice Device { get; }
    public IntPtr Handle { get; private set; }
    public bool Timing { get; }

    private CudaEvent(CudaDevice device, IntPtr handle, bool timing) { Device = device; Handle = handle; Timing = timing; }

    /// <param name="timing">Timing events can be measured with <see cref="ElapsedMs"/> but cost more to record.</param>
    public static CudaEvent Create(CudaDevice device, bool timing = false)
    {
        device.MakeCurrent();
        IntPtr e;
        CudaDriver.Check(CudaDriver.cuEventCreate(&e, timing ? CudaDriver.EventDefault : CudaDriver.EventDisableTiming), "cuEventCreate");
        return new CudaEvent(device, e, timing);
    }

    public void Record(CudaStream stream)
    {
        Device.MakeCurrent();
        CudaDriver.Check(CudaDriver.cuEventRecord(Live(), stream.Handle), "cuEventRecord");
    }

    /// <summary>Block the host until the event has completed.</summary>
    public void Synchronize()
    {
        Device.MakeCurrent();
        CudaDriver.Check(CudaDriver.cuEventSynchronize(Live()), "cuEventSynchronize");
    }

    /// <summary>True when the work before the event has completed (also true for a never-recorded event).</summary>
    public bool IsCompleted
    {
        get
        {
            Device.MakeCurrent();
            int rc = CudaDriver.cuEventQuery(Live());
            if (rc == CudaDriver.ErrorNotReady) return false;
            CudaDriver.Check(rc, "cuEventQuery");
            return true;
        }
    }

    /// <summary>Milliseconds between two completed timing events (<paramref name="start"/> recorded first).</summary>
    public static float ElapsedMs(CudaEvent start, CudaEvent end)
    {
        if (!start.Timing || !end.Timing) throw new InvalidOperationException("ElapsedMs needs events created with timing: true.");
        float ms;
        start.Device.MakeCurrent();
        CudaDriver.Check(CudaDriver.cuEventElapsedTime(&ms, start.Live(), end.Live()), "cuEventElapsedTime");
        return ms;
    }

    private IntPtr Live() => Handle != IntPtr.Zero ? Handle : throw new ObjectDisposedException(nameof(CudaEvent));

    public void Dispose()
    {
        if (Handle == IntPtr.Zero) return;
        Device.MakeCurrent();
        CudaDriver.cuEventDestroy(Handle);
        Handle = IntPtr.Zero;
    }
}
