using Engine.Runtime.Cpu;

namespace Engine.Tests.CpuGemm;

/// <summary>The GEMM fork: every body(i) of a job runs exactly once, before Run returns, whatever the previous job's width.</summary>
public class GemmWorkersTests
{
    [Fact]
    public void EveryIndexRunsExactlyOnceBeforeRunReturnsWhenWidthsAlternate()
    {
        // Alternating widths leave some workers idle for one job and active for the next: a worker waking late for the
        // job it sat out must neither run the next job's body twice nor count itself done for it.
        for (int iter = 0; iter < 20_000; iter++)
        {
            int t = 2 + iter % 3;
            var counts = new int[t];
            GemmWorkers.Run(t, i => { Thread.SpinWait(i * 50); Interlocked.Increment(ref counts[i]); });
            for (int i = 0; i < t; i++)
                Assert.True(counts[i] == 1, $"job {iter} (width {t}): body({i}) ran {counts[i]} times before Run returned");
        }
    }

    [Fact]
    public void ConcurrentCallersEachGetTheirWholeJob()
    {
        // Two callers race for the workers; the loser falls back to Parallel.For. Either way each job is complete.
        var failures = 0;
        var threads = Enumerable.Range(0, 2).Select(c => new Thread(() =>
        {
            for (int iter = 0; iter < 3_000; iter++)
            {
                int t = 2 + (iter + c) % 3;
                var counts = new int[t];
                GemmWorkers.Run(t, i => Interlocked.Increment(ref counts[i]));
                if (counts.Any(x => x != 1)) Interlocked.Increment(ref failures);
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        Assert.Equal(0, failures);
    }

    [Fact]
    public void MoveOffLeavesTheCpuAndLiftsTheRestrictionAgain()
    {
        // GemmWorkers moves a worker off the caller's CPU. The move must happen (seen right after the call; the
        // scheduler may move the thread back at any time later, so a few tries) and must not pin: the thread's
        // affinity afterwards is what it was before.
        if (!CpuPlacement.Supported || Environment.ProcessorCount < 2) return;
        int allowedBefore = -1, allowedAfter = -1; bool refused = false, moved = false;
        var th = new Thread(() =>
        {
            allowedBefore = CpuPlacement.AllowedCpuCount();
            for (int attempt = 0; attempt < 5 && !moved; attempt++)
            {
                int cpu = CpuPlacement.CurrentCpu();
                refused |= !CpuPlacement.MoveOff(cpu);
                moved = CpuPlacement.CurrentCpu() != cpu;
            }
            allowedAfter = CpuPlacement.AllowedCpuCount();
        });
        th.Start();
        th.Join();
        Assert.False(refused, "MoveOff refused with two or more CPUs allowed");
        Assert.True(moved, "the thread never left its CPU");
        Assert.True(allowedBefore >= 2, $"{allowedBefore} CPUs allowed");
        Assert.Equal(allowedBefore, allowedAfter);
    }
}
