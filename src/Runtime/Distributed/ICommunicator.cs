namespace Engine.Runtime.Distributed;

/// <summary>
/// The collectives data-parallel training needs, over one world of processes. Tensor arguments are contiguous and live
/// where the backend works (host memory for MPI, the GPU for NCCL); reductions are sums over f32 or f64. Every rank must
/// make the same calls in the same order with the same element counts (as in MPI and NCCL); a rank that dies makes the
/// launcher end the job.
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>"local", "mpi" or "nccl".</summary>
    string Backend { get; }
    int Rank { get; }
    int Size { get; }
    /// <summary>The device its tensors must be on (CPU for MPI).</summary>
    Device Device { get; }

    /// <summary>Every rank's <paramref name="tensor"/> replaced by the element-wise sum over ranks.</summary>
    void AllReduceSum(Tensor tensor);
    /// <summary>
    /// Start the in-place sum of <paramref name="tensor"/> over ranks and return without waiting for it, so the caller
    /// can compute while it runs (gradient buckets during the backward). Started collectives run in the order they were
    /// started, and before any collective called later; every rank must start the same ones in the same order. The
    /// default runs it at once.
    /// </summary>
    IPendingCollective StartAllReduceSum(Tensor tensor) { AllReduceSum(tensor); return CompletedCollective.Instance; }
    /// <summary>
    /// Sum <paramref name="input"/> over ranks and keep this rank's block: <paramref name="output"/> (n elements) gets
    /// elements [Rank·n, (Rank+1)·n) of the sum; <paramref name="input"/> has Size·n elements.
    /// </summary>
    void ReduceScatterSum(Tensor input, Tensor output);
    /// <summary>Concatenate every rank's <paramref name="input"/> (n elements) in rank order into <paramref name="output"/> (Size·n elements).</summary>
    void AllGather(Tensor input, Tensor output);
    /// <summary>Root's <paramref name="tensor"/> copied into every rank's.</summary>
    void Broadcast(Tensor tensor, int root);
    /// <summary>Returns on a rank once every rank has called it.</summary>
    void Barrier();

    /// <summary>Host values summed over ranks in place (metrics, flags, checksums: small).</summary>
    void AllReduceSum(Span<double> values);
    /// <summary>Root's host bytes copied into every rank's buffer (same length everywhere).</summary>
    void Broadcast(Span<byte> bytes, int root);
}
