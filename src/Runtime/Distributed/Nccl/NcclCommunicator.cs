using Engine.Runtime.Cuda;
using Engine.Runtime.Cuda.Native;
using Engine.Runtime.Distributed.Mpi;

namespace Engine.Runtime.Distributed.Nccl;

/// <summary>
/// <see cref="ICommunicator"/> over NCCL, one process per GPU. Collectives are queued on the engine's current CUDA stream
/// of the device, so they are ordered with the kernels around them without a host wait; the host-value collectives
/// (metrics, flags) copy through the device and wait. libnccl is loaded on first use only; a machine without it gets
/// an error that says so. Run on one H200 in a world of one (<see cref="Communicators.BackendVariable"/>; SFT byte-identical
/// to the local communicator); several GPUs have not run it yet. The trainer path above it is tested with MPI.
/// </summary>
public sealed unsafe class NcclCommunicator : ICommunicator
{
    private IntPtr _comm;
    private readonly CudaDevice _device;

    private NcclCommunicator(IntPtr comm, int rank, int size, CudaDevice device)
    {
        _comm = comm; Rank = rank; Size = size; _device = device;
        Device = Device.Cuda(device.Ordinal);
    }

    /// <summary>Join <paramref name="world"/> on <paramref name="device"/>: rank 0 makes the unique id, MPI or a TCP rendezvous hands it out.</summary>
    public static NcclCommunicator Create(WorldInfo world, Device device)
    {
        if (device.IsCpu) throw new ArgumentException("NCCL works on CUDA devices; CPU tensors use MPI.");
        if (CudaLibraries.EmulatorPath is { } emu)
            throw new NotSupportedException($"NCCL cannot run on the CUDA emulator ({emu}); the emulator is one process on the CPU — test data parallelism with MPI on the CPU.");
        CudaLibraries.EnsureResolver();
        if (!CudaLibraries.TryLoad("nccl", out _, out var error))
            throw new DllNotFoundException($"NCCL is not available: {error} Install it with the CUDA toolkit (libnccl2) or `pip install nvidia-nccl-cu12`.");
        var cuda = CudaDevice.Get(device.Index);
        cuda.MakeCurrent();
        NcclUniqueId id;
        if (world.IsRoot) NcclNative.Check(NcclNative.ncclGetUniqueId(&id), "ncclGetUniqueId");
        var bytes = new byte[NcclUniqueId.Bytes];
        if (world.IsRoot) new ReadOnlySpan<byte>(id.Internal, NcclUniqueId.Bytes).CopyTo(bytes);
        if (world.IsMpiLaunch && MpiCommunicator.IsAvailable(out _)) MpiCommunicator.Initialize().Broadcast(bytes, 0);
        else if (world.Size > 1) bytes = NcclRendezvous.Exchange(world, world.IsRoot ? bytes : null);
        bytes.CopyTo(new Span<byte>(id.Internal, NcclUniqueId.Bytes));
        IntPtr comm;
        NcclNative.Check(NcclNative.ncclCommInitRank(&comm, world.Size, id, world.Rank), "ncclCommInitRank");
        return new NcclCommunicator(comm, world.Rank, world.Size, cuda);
    }

    public string Backend => "nccl";
    public int Rank { get; }
    public int Size { get; }
    public Device Device { get; }

    /// <summary>The current stream, ordered after every collective started on the side stream (NCCL needs one order per communicator).</summary>
    private IntPtr Stream
    {
        get
        {
            _device.MakeCurrent();
            var compute = _device.CurrentStream;
            if (_lastStarted is { } last) { _lastStarted = null; last.Wait(); }
            return compute.Handle;
        }
    }

    // Started all-reduces run on their own stream, after the work queued before them, so the kernels queued after
    // them (the rest of the backward) run meanwhile; waiting orders the current stream after them, without a host wait.
    private CudaStream? _side;
    private StartedOnStream? _lastStarted;

    private sealed class StartedOnStream(NcclCommunicator owner, CudaEvent done) : IPendingCollective
    {
        private bool _waited;
        public void Wait()
        {
            if (_waited) return;
            _waited = true;
            owner._device.MakeCurrent();
            owner._device.CurrentStream.Wait(done);
            done.Dispose(); // safe while the stream still waits on it: CUDA frees it once it completes
        }
    }

    public IPendingCollective StartAllReduceSum(Tensor tensor)
    {
        Collectives.CheckTensor(tensor, Device, "StartAllReduceSum", reduce: true);
        _device.MakeCurrent();
        _side ??= CudaStream.Create(_device);
        using (var filled = _device.CurrentStream.Record()) _side.Wait(filled);
        NcclNative.Check(NcclNative.ncclAllReduce(tensor.RawPointer, tensor.RawPointer, CountOf(tensor), TypeOf(tensor), NcclNative.Sum, Handle, _side.Handle), "ncclAllReduce");
        var started = new StartedOnStream(this, _side.Record());
        _lastStarted = started;
        return started;
    }

    private static int TypeOf(Tensor t) => t.DType switch
    {
        DType.F32 => NcclNative.Float32,
        DType.F64 => NcclNative.Float64,
        DType.BF16 => NcclNative.Bfloat16,
        _ => NcclNative.Uint8,
    };

    private static nuint CountOf(Tensor t) => (nuint)(t.DType is DType.F32 or DType.F64 or DType.BF16 ? t.NumElements : t.NumElements * t.DType.SizeOf());

    public void AllReduceSum(Tensor tensor)
    {
        Collectives.CheckTensor(tensor, Device, "AllReduceSum", reduce: true);
        NcclNative.Check(NcclNative.ncclAllReduce(tensor.RawPointer, tensor.RawPointer, CountOf(tensor), TypeOf(tensor), NcclNative.Sum, Handle, Stream), "ncclAllReduce");
    }

    public void ReduceScatterSum(Tensor input, Tensor output)
    {
        Collectives.CheckTensor(input, Device, "ReduceScatterSum", reduce: true);
        Collectives.CheckTensor(output, Device, "ReduceScatterSum", reduce: true);
        Collectives.CheckBlocks(input, output, Size, "ReduceScatterSum");
        NcclNative.Check(NcclNative.ncclReduceScatter(input.RawPointer, output.RawPointer, CountOf(output), TypeOf(output), NcclNative.Sum, Handle, Stream), "ncclReduceScatter");
    }

    public void AllGather(Tensor input, Tensor output)
    {
        Collectives.CheckTensor(input, Device, "AllGather", reduce: false);
        Collectives.CheckTensor(output, Device, "AllGather", reduce: false);
        Collectives.CheckBlocks(output, input, Size, "AllGather");
        NcclNative.Check(NcclNative.ncclAllGather(input.RawPointer, output.RawPointer, CountOf(input), TypeOf(input), Handle, Stream), "ncclAllGather");
    }

    public void Broadcast(Tensor tensor, int root)
    {
        Collectives.CheckRoot(root, Size);
        Collectives.CheckTensor(tensor, Device, "Broadcast", reduce: false);
        NcclNative.Check(NcclNative.ncclBroadcast(tensor.RawPointer, tensor.RawPointer, CountOf(tensor), TypeOf(tensor), root, Handle, Stream), "ncclBroadcast");
    }

    public void Barrier()
    {
        var one = Tensor.Zeros([1], DType.F32, Device);
        AllReduceSum(one);
        _device.Synchronize();
    }

    public void AllReduceSum(Span<double> values)
    {
        if (values.Length == 0) return;
        var t = Tensor.FromArray(values.ToArray(), values.Length).To(Device);
        AllReduceSum(t);
        t.ToArray<double>().CopyTo(values); // the device→host copy waits for the stream
    }

    public void Broadcast(Span<byte> bytes, int root)
    {
        if (bytes.Length == 0) return;
        var t = Tensor.FromArray(bytes.ToArray(), bytes.Length).To(Device);
        Broadcast(t, root);
        t.ToArray<byte>().CopyTo(bytes);
    }

    private IntPtr Handle => _comm != IntPtr.Zero ? _comm : throw new ObjectDisposedException(nameof(NcclCommunicator));

    public void Dispose()
    {
        if (_comm == IntPtr.Zero) return;
        _device.Synchronize();
        _lastStarted?.Wait();
        _side?.Dispose();
        NcclNative.ncclCommDestroy(_comm);
        _comm = IntPtr.Zero;
    }
}
