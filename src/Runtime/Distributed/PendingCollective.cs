namespace Engine.Runtime.Distributed;

/// <summary>
/// A collective that was started and may still be running (<see cref="ICommunicator.StartAllReduceSum"/>). Its tensor
/// must not be read or written until <see cref="Wait"/> returns; Wait rethrows the collective's failure.
/// </summary>
public interface IPendingCollective
{
    /// <summary>Block until the collective has finished (on CUDA: until the current stream is ordered after it).</summary>
    void Wait();
}

/// <summary>A collective that finished before it was returned (backends that cannot overlap).</summary>
public sealed class CompletedCollective : IPendingCollective
{
    public static readonly CompletedCollective Instance = new();
    private CompletedCollective() { }
    public void Wait() { }
}
