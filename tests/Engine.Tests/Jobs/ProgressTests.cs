using Engine.Methods.Core.Progress;

namespace Engine.Tests.Jobs;

public class ProgressTests
{
    [Fact]
    public void OneLineFormatForJobsAndTrainers()
    {
        var job = new ProgressSnapshot("score", 120, 1000, TimeSpan.FromSeconds(3.4), ItemsPerSecond: 35.26, Unit: "records",
            TokensPerSecond: 4120.4, Eta: TimeSpan.FromSeconds(25));
        Assert.Equal("score: [##..................] 120/1000 (12.0%) | 35.3 records/s | 4,120 tok/s | 00:03 | ETA 00:25", job.Format());
        var step = new ProgressSnapshot(null, 10, 10, TimeSpan.FromMinutes(61), CountName: "step", Detail: "loss 1.2000", TokensPerSecond: 900);
        Assert.Equal("[####################] step 10/10 (100.0%) | loss 1.2000 | 900 tok/s | 1:01:00", step.Format());
        Assert.Equal("unknown: 7 | 00:00", new ProgressSnapshot("unknown", 7, null, TimeSpan.Zero).Format());
    }

    [Fact]
    public void EtaIsTheRestAtThisRunsRate()
    {
        // 30 done this run in 10 s (after 50 resumed): 20 left take 20/3 s.
        Assert.Equal(TimeSpan.FromSeconds(20.0 / 3), ProgressSnapshot.EstimateRemaining(30, 80, 100, TimeSpan.FromSeconds(10)));
        Assert.Null(ProgressSnapshot.EstimateRemaining(0, 50, 100, TimeSpan.FromSeconds(10)));
        Assert.Null(ProgressSnapshot.EstimateRemaining(5, 100, 100, TimeSpan.FromSeconds(10)));
        Assert.Null(ProgressSnapshot.EstimateRemaining(5, 10, null, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void MeterShowsRateAndNotesWithoutTearingTheLine()
    {
        var w = new StringWriter();
        var meter = new ProgressMeter(new ProgressDisplay(w, inPlace: true, interval: TimeSpan.Zero));
        meter.Begin("generate", 4, alreadyDone: 1);
        meter.Advance(2, 50);
        meter.Note("skipped: in.jsonl:3: bad");
        meter.Advance(1, 10);
        meter.End();
        var text = w.ToString();
        Assert.Contains("\rgenerate: [###############.....] 3/4 (75.0%)", text);
        Assert.Contains("records/s", text);
        Assert.Contains("tok/s", text);
        Assert.Contains("\nskipped: in.jsonl:3: bad\n", text);   // the in-place line ended before the note
        Assert.Contains("4/4 (100.0%)", text);
        Assert.EndsWith("\n", text.Replace("\r\n", "\n"));
    }
}

public class JobProgressTests
{
    private sealed class Recorder : IProgress
    {
        public List<(long Items, long Tokens)> Calls { get; } = [];
        public void Begin(string label, long? total, long alreadyDone = 0) { }
        public void Advance(long items, long tokens = 0) => Calls.Add((items, tokens));
        public void Note(string line) { }
        public void End() { }
    }

    [Fact]
    public void FractionsOfRecordsAddUpAndTheChunkEndCompletesTheCount()
    {
        var sink = new Recorder();
        var p = new Engine.Methods.Core.Jobs.JobProgress(sink);
        p.Advance(0.4, 10);   // a batch finished part of a record's samples
        p.Advance(0.4, 10);
        p.Advance(0.4, 10);   // 1.2 records: the first whole one shows
        p.Complete(3, tokens: 999);   // the job reported tokens itself, so the result's are not added again
        Assert.Equal([(0L, 10L), (0L, 10L), (1L, 10L), (2L, 0L)], sink.Calls);
        var quiet = new Recorder();
        new Engine.Methods.Core.Jobs.JobProgress(quiet).Complete(4, tokens: 50);
        Assert.Equal([(4L, 50L)], quiet.Calls);
    }
}
