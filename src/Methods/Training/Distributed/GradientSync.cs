using Engine.Runtime;
using Engine.Runtime.Distributed;

namespace Engine.Methods.Training.Distributed;

/// <summary>
/// Sums every rank's accumulated gradients into every rank, in buckets of about <see cref="BucketElements"/> elements
/// (one collective per bucket instead of one per tensor; <see cref="GradientBuckets"/>). <see cref="Begin"/> returns a
/// step's buckets to fill during the last backward, overlapping the all-reduce with it; <see cref="AllReduce"/> does it
/// all after the backward. A tensor that has a gradient on some rank but not on this one contributes zeros; a tensor
/// that has none anywhere keeps none. Nothing happens with the local communicator (a world of one).
/// </summary>
public sealed class GradientSync(ICommunicator comm, long bucketElements = 1L << 22)
{
    public long BucketElements { get; } = bucketElements;

    /// <summary>The step's buckets, or null when this communicator runs no collectives.</summary>
    public GradientBuckets? Begin(IReadOnlyList<Tensor> parameters) =>
        comm.RunsCollectives() ? new GradientBuckets(comm, parameters, BucketElements) : null;

    public void AllReduce(IReadOnlyList<Tensor> parameters) => Begin(parameters)?.Finish();
}
