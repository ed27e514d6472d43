namespace Engine.Runtime.Distributed.Mpi;

/// <summary>
/// <see cref="ICommunicator"/> over MPI_COMM_WORLD (Open MPI), on host memory: the CPU backend's data-parallel transport,
/// and the channel that hands NCCL its unique id when the job was started by mpirun. Open MPI's default error handler
/// aborts the job on a communication failure, and mpirun ends every rank when one exits with an error or is killed.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private static MpiCommunicator? _instance;
    private static readonly Lock Gate = new();
    private bool _finalized;

    /// <summary>MPI_Init once per process (MPI cannot be initialised twice); later calls return the same communicator.</summary>
    public static MpiCommunicator Initialize()
    {
        lock (Gate)
        {
            if (_instance is { _finalized: false } i) return i;
            if (_instance is not null) throw new InvalidOperationException("MPI was finalized in this process; it cannot be initialised again.");
            if (!MpiNative.TryLoad(out var error)) throw new DllNotFoundException(error);
            int flag;
            MpiNative.Check(MpiNative.MPI_Initialized(&flag), "MPI_Initialized");
            // SERIALIZED lets the collective worker thread make the started all-reduces while the trainer computes.
            int provided;
            if (flag == 0) MpiNative.Check(MpiNative.MPI_Init_thread(null, null, MpiNative.ThreadSerialized, &provided), "MPI_Init_thread");
            else MpiNative.Check(MpiNative.MPI_Query_thread(&provided), "MPI_Query_thread");
            int rank, size;
            MpiNative.Check(MpiNative.MPI_Comm_rank(MpiNative.CommWorld, &rank), "MPI_Comm_rank");
            MpiNative.Check(MpiNative.MPI_Comm_size(MpiNative.CommWorld, &size), "MPI_Comm_size");
            _instance = new MpiCommunicator(rank, size, provided >= MpiNative.ThreadSerialized);
            // Without MPI_Finalize mpirun reports the job as failed, so finalize on every normal exit.
            AppDomain.CurrentDomain.ProcessExit += (_, _) => _instance?.Dispose();
            return _instance;
        }
    }

    /// <summary>True when libmpi can be loaded on this machine.</summary>
    public static bool IsAvailable(out string error) => MpiNative.TryLoad(out error);

    private MpiCommunicator(int rank, int size, bool canOverlap) { Rank = rank; Size = size; CanOverlap = canOverlap; }

    /// <summary>
    /// True when MPI gave at least MPI_THREAD_SERIALIZED, so <see cref="StartAllReduceSum"/> runs on a worker thread
    /// while the caller computes; otherwise it runs at once.
    /// </summary>
    public bool CanOverlap { get; }

    // MPI calls are serialized by _calls; collectives started with StartAllReduceSum run in order on one worker thread,
    // and every other collective first waits for them, so each rank makes its MPI calls in the order its code made them.
    private readonly Lock _calls = new();
    private readonly System.Collections.Concurrent.BlockingCollection<StartedAllReduce> _started = new();
    private Thread? _worker;
    private StartedAllReduce? _lastStarted;

    private sealed class StartedAllReduce(Tensor tensor) : IPendingCollective
    {
        public Tensor Tensor { get; } = tensor;
        private readonly ManualResetEventSlim _done = new();
        private Exception? _error;
        public void Finish(Exception? error) { _error = error; _done.Set(); }
        public void Wait()
        {
            _done.Wait();
            if (_error is not null) throw new InvalidOperationException($"A started MPI all-reduce failed: {_error.Message}", _error);
        }
    }

    public IPendingCollective StartAllReduceSum(Tensor tensor)
    {
        EnsureOpen();
        Collectives.CheckTensor(tensor, Device, "StartAllReduceSum", reduce: true);
        if (!CanOverlap) { AllReduceSum(tensor); return CompletedCollective.Instance; }
        if (_worker is null)
        {
            _worker = new Thread(RunStarted) { IsBackground = true, Name = "engine-mpi-collectives" };
            _worker.Start();
        }
        var job = new StartedAllReduce(tensor);
        _lastStarted = job;
        _started.Add(job);
        return job;
    }

    private void RunStarted()
    {
        foreach (var job in _started.GetConsumingEnumerable())
        {
            try { lock (_calls) AllReduceInPlace(job.Tensor); job.Finish(null); }
            catch (Exception e) { job.Finish(e); }
        }
    }

    /// <summary>Wait for every started collective (they come before any collective called after them).</summary>
    private void WaitStarted()
    {
        var last = _lastStarted;
        if (last is null) return;
        last.Wait();
        _lastStarted = null;
    }

    public string Backend => "mpi";
    public int Rank { get; }
    public int Size { get; }
    public Device Device => Device.Cpu;

    private static IntPtr TypeOf(Tensor t) => t.DType switch
    {
        DType.F32 => MpiNative.Float,
        DType.F64 => MpiNative.Double,
        _ => MpiNative.Byte,
    };

    private static long CountOf(Tensor t) => t.DType is DType.F32 or DType.F64 ? t.NumElements : t.NumElements * t.DType.SizeOf();

    public void AllReduceSum(Tensor tensor)
    {
        EnsureOpen();
        Collectives.CheckTensor(tensor, Device, "AllReduceSum", reduce: true);
        WaitStarted();
        lock (_calls) AllReduceInPlace(tensor);
    }

    private static void AllReduceInPlace(Tensor tensor)
    {
        // MPI counts are int: large tensors go in pieces.
        int elem = tensor.DType.SizeOf();
        byte* p = (byte*)tensor.RawPointer;
        for (long at = 0, n = tensor.NumElements; at < n; at += int.MaxValue)
        {
            int count = (int)Math.Min(int.MaxValue, n - at);
            MpiNative.Check(MpiNative.MPI_Allreduce((void*)MpiNative.InPlace, p + at * elem, count, TypeOf(tensor), MpiNative.OpSum, MpiNative.CommWorld), "MPI_Allreduce");
        }
    }

    public void ReduceScatterSum(Tensor input, Tensor output)
    {
        EnsureOpen();
        Collectives.CheckTensor(input, Device, "ReduceScatterSum", reduce: true);
        Collectives.CheckTensor(output, Device, "ReduceScatterSum", reduce: true);
        Collectives.CheckBlocks(input, output, Size, "ReduceScatterSum");
        if (output.NumElements > int.MaxValue) throw new ArgumentException($"ReduceScatterSum: {output.NumElements} elements per rank exceed MPI's int count.");
        WaitStarted();
        lock (_calls) MpiNative.Check(MpiNative.MPI_Reduce_scatter_block(input.RawPointer, output.RawPointer, (int)output.NumElements, TypeOf(input), MpiNative.OpSum, MpiNative.CommWorld), "MPI_Reduce_scatter_block");
    }

    public void AllGather(Tensor input, Tensor output)
    {
        EnsureOpen();
        Collectives.CheckTensor(input, Device, "AllGather", reduce: false);
        Collectives.CheckTensor(output, Device, "AllGather", reduce: false);
        Collectives.CheckBlocks(output, input, Size, "AllGather");
        long count = CountOf(input);
        if (count > int.MaxValue) throw new ArgumentException($"AllGather: {count} elements per rank exceed MPI's int count.");
        WaitStarted();
        lock (_calls) MpiNative.Check(MpiNative.MPI_Allgather(input.RawPointer, (int)count, TypeOf(input), output.RawPointer, (int)count, TypeOf(input), MpiNative.CommWorld), "MPI_Allgather");
    }

    public void Broadcast(Tensor tensor, int root)
    {
        EnsureOpen();
        Collectives.CheckRoot(root, Size);
        Collectives.CheckTensor(tensor, Device, "Broadcast", reduce: false);
        WaitStarted();
        lock (_calls) Bcast((byte*)tensor.RawPointer, tensor.NumElements * tensor.DType.SizeOf(), root);
    }

    public void Broadcast(Span<byte> bytes, int root)
    {
        EnsureOpen();
        Collectives.CheckRoot(root, Size);
        WaitStarted();
        lock (_calls)
            fixed (byte* p = bytes) Bcast(p, bytes.Length, root);
    }

    private static void Bcast(byte* p, long bytes, int root)
    {
        for (long at = 0; at < bytes; at += int.MaxValue)
            MpiNative.Check(MpiNative.MPI_Bcast(p + at, (int)Math.Min(int.MaxValue, bytes - at), MpiNative.Byte, root, MpiNative.CommWorld), "MPI_Bcast");
    }

    public void AllReduceSum(Span<double> values)
    {
        EnsureOpen();
        if (values.Length == 0) return;
        WaitStarted();
        lock (_calls)
            fixed (double* p = values)
                MpiNative.Check(MpiNative.MPI_Allreduce((void*)MpiNative.InPlace, p, values.Length, MpiNative.Double, MpiNative.OpSum, MpiNative.CommWorld), "MPI_Allreduce");
    }

    public void Barrier()
    {
        EnsureOpen();
        WaitStarted();
        lock (_calls) MpiNative.Check(MpiNative.MPI_Barrier(MpiNative.CommWorld), "MPI_Barrier");
    }

    private void EnsureOpen() { if (_finalized) throw new ObjectDisposedException(nameof(MpiCommunicator), "MPI was finalized."); }

    /// <summary>MPI_Finalize (collective: every rank must get here).</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_finalized) return;
            try { WaitStarted(); } catch (InvalidOperationException) { } // finalizing anyway; the failure was reported to its waiter
            _started.CompleteAdding();
            _worker?.Join();
            _finalized = true;
            int flag;
            if (MpiNative.MPI_Finalized(&flag) == 0 && flag == 0) MpiNative.MPI_Finalize();
        }
    }
}
