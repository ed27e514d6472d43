using System.Diagnostics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Persistent helper threads for the GEMM fork. A Parallel.For fork costs tens of microseconds (task setup, pool
/// wake-up), a visible share of a 256³ product; these workers spin briefly after each job so back-to-back GEMMs
/// start at once, then sleep. One caller at a time owns them; a concurrent caller falls back to Parallel.For.
/// </summary>
internal static class GemmWorkers
{
    /// <summary>
    /// How long an idle worker stays awake after a job before it sleeps: long enough to bridge back-to-back GEMMs, short
    /// enough not to hold a shared core. Longer waits were tried on Zen 5 (500 µs of pure spin earlier; 1 ms of
    /// sched_yield polling in stop 29): on a loaded machine a thread that has been polling has no scheduler credit left,
    /// so it runs only after every other runnable thread, and the median 2-thread 256³ call took 8 ms instead of 0.25 ms
    /// (bench/results/cpu-gemm.md); a sleeping worker, woken, is scheduled at once. Timing decides only when a worker
    /// notices a job, never which part of the job it does, so results never depend on these values. Internal and
    /// settable so the probes can compare policies.
    /// </summary>
    internal static long SpinTicks = Stopwatch.Frequency / 20_000; // 50 µs

    /// <summary>
    /// A worker that starts a job on the caller's CPU moves itself to another (CpuPlacement.MoveOff): there the two run
    /// one after the other, and on the Zen 5 VM the kernel kept waking the worker there for whole blocks of calls
    /// (the 2-thread GEMV of a 2048² W, in cache: 25–30 instead of 75–80 GFLOP/s; bench/results/cpu-gemm.md, stop 31).
    /// It costs one sched_getcpu per job on each side, and two system calls only when they collide. Timing only, never
    /// which part of a job a thread does. Internal and settable so the probes can compare.
    /// </summary>
    internal static bool MoveOffCallersCpu = true;

    /// <summary>The first part of the wait, polled with pause instructions only; after it, polls call sched_yield.</summary>
    internal static long HotTicks = Stopwatch.Frequency / 20_000; // 50 µs: no yield phase by default

    /// <summary>
    /// One fork, published whole: its body, how many workers take part, and its own countdown. A worker reads every field
    /// from the same object, so a late worker can never mix one job's participant count with another job's body, and
    /// runs each generation at most once; a stale decrement could only touch its own (finished) job.
    /// </summary>
    private sealed class Job(Action<int> body, int activeWorkers, int generation, int callerCpu)
    {
        public readonly Action<int> Body = body;
        public readonly int CallerCpu = callerCpu;
        public readonly int ActiveWorkers = activeWorkers;
        public readonly int Generation = generation;
        public int Pending = activeWorkers;
        public Exception? Error;
    }

    private static int _busy; // 1 while a caller owns the workers (a CAS, not a Monitor, so a nested call cannot re-enter)
    private static readonly object Bell = new();
    private static readonly List<Thread> Threads = [];
    private static Job? _current;
    private static int _generation;

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
            var job = new Job(body, t - 1, ++_generation, MoveOffCallersCpu ? CpuPlacement.CurrentCpu() : -1);
            lock (Bell) { Volatile.Write(ref _current, job); Monitor.PulseAll(Bell); }

            Exception? mine = null;
            try { body(0); } catch (Exception e) { mine = e; }
            var spin = new SpinWait();
            while (Volatile.Read(ref job.Pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
            if (mine is not null || job.Error is not null) throw mine ?? job.Error!;
            return true;
        }
        finally { Volatile.Write(ref _busy, 0); }
    }

    private static void Loop(int index)
    {
        int seen = 0;
        while (true)
        {
            long start = Stopwatch.GetTimestamp(), hot = start + HotTicks, until = start + SpinTicks;
            while (Volatile.Read(ref _current)?.Generation is not { } g1 || g1 == seen)
            {
                long now = Stopwatch.GetTimestamp();
                if (now >= until)
                {
                    lock (Bell) while (_current is null || _current.Generation == seen) Monitor.Wait(Bell);
                    break;
                }
                if (now < hot) Thread.SpinWait(16); else Thread.Yield();
            }
            var job = Volatile.Read(ref _current)!;
            seen = job.Generation;
            if (index > job.ActiveWorkers) continue;
            if (job.CallerCpu >= 0 && CpuPlacement.CurrentCpu() == job.CallerCpu) CpuPlacement.MoveOff(job.CallerCpu);
            try { job.Body(index); }
            catch (Exception e) { job.Error = e; }
            Interlocked.Decrement(ref job.Pending);
        }
    }
}
