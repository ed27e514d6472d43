namespace Engine.Runtime.Cpu;

/// <summary>
/// Sense-reversing spin barrier for the threads of one cooperative GEMM (they share each packed B block).
/// Waiters yield rather than sleep: a phase lasts well under a millisecond. If a participant fails, the barrier
/// breaks and the others throw instead of waiting forever.
/// </summary>
internal sealed class GemmBarrier(int parties)
{
    private readonly int _parties = parties;
    private int _remaining = parties;
    private volatile int _sense;
    private volatile bool _broken;

    public void Break() => _broken = true;

    /// <param name="localSense">Per-thread state, starting at 0.</param>
    public void Wait(ref int localSense)
    {
        localSense ^= 1;
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _remaining = _parties;
            _sense = localSense; // releases the others
            return;
        }
        var spin = new SpinWait();
        while (_sense != localSense)
        {
            if (_broken) throw new InvalidOperationException("gemm: a cooperating thread failed");
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}
