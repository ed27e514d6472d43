using System.Diagnostics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Persistent helper threads for the GEMM fork. A Parallel.For fork costs tens of microseconds (task setup, pool
/// wake-up), a visible share of a 256³ product; these workers spin briefly after each job so back-to-back GEMMs
/// start at once, then sleep. One caller at a time owns them; a concurrent caller falls back to Parallel.For.
/// </summary>
internal static class GemmWorkers
{
    /// <summary>How long an idle worker polls before sleeping: long enough to bridge consecutive GEMMs, short enough
    /// not to steal a shared core for long.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 µs

    private static int _busy; // 1 while a caller owns the workers (a CAS, not a Monitor, so a nested call cannot re-enter)
    private static readonly object Bell = new();
    private static readonly List<Thread> Threads = [];
    private static Action<int>? _job;
    private static int _generation;
    private static int _pending;
    private static Exception? _error;

    /// <summary>Runs body(0..t−1) concurrently, body(0) on the caller; returns when all have finished.</summary>
    public static void Run(int t, Action<int> body)
    {
        if (t <= 1) { body(0); return; }
        if (!TryRun(t, body)) Parallel.For(0, t, new ParallelOptions { MaxDegreeOfParallelism = t }, body);
    }

    /// <summary>
    /// Like Run, but every body(i) is guaranteed its own thread, so bodies may wait on each other (a barrier).
    /// Returns false, running nothing, when another caller owns the workers.
    /// </summary>
    public static bool TryRun(int t, Action<int> body)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            while (Threads.Count < t - 1)
            {
                int index = Threads.Count + 1;
                var th = new Thread(() => Loop(index)) { IsBackground = true, Name = $"gemm-worker-{index}" };
                Threads.Add(th);
                th.Start();
            }
            _job = body;
            _error = null;
            _activeWorkers = t - 1;
            Volatile.Write(ref _pending, t - 1);
            lock (Bell) { _generation++; Monitor.PulseAll(Bell); }

            Exception? mine = null;
            try { body(0); } catch (Exception e) { mine = e; }
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
            _job = null;
            if (mine is not null || _error is not null) throw mine ?? _error!;
            return true;
        }
        finally { Volatile.Write(ref _busy, 0); }
    }

    /// <summary>Workers with index ≤ this take part in the current job (a job may use fewer than exist).</summary>
    private static int _activeWorkers;

    private static void Loop(int index)
    {
        int seen = 0;
        while (true)
        {
            long until = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _generation) == seen && Stopwatch.GetTimestamp() < until) Thread.SpinWait(16);
            if (Volatile.Read(ref _generation) == seen)
                lock (Bell) while (_generation == seen) Monitor.Wait(Bell);
            seen = Volatile.Read(ref _generation);
            if (index > _activeWorkers) continue;
            try { _job!(index); }
            catch (Exception e) { _error = e; }
            Interlocked.Decrement(ref _pending);
        }
    }
}
