using System.Collections;
using Engine.Methods.Training;
using Engine.Methods.Training.Distributed;
using Engine.Runtime;
using Engine.Runtime.Distributed;
using Engine.Tests.Training;

namespace Engine.Tests.Distributed;

/// <summary>In-process parts of data parallelism: the launcher environment, step sharding, the world of one, ZeRO-1's arithmetic.</summary>
public class DistributedUnitTests
{
    private static WorldInfo Detect(params (string, string)[] vars)
    {
        var env = new Hashtable();
        foreach (var (k, v) in vars) env[k] = v;
        return WorldInfo.Detect(env);
    }

    [Fact]
    public void EachLauncherEnvironmentGivesItsRankAndWorld()
    {
        Assert.Equal(new WorldInfo(1, 4, 1, 2, "mpirun"), Detect(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_LOCAL_RANK", "1"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2")));
        var t = Detect(("RANK", "3"), ("WORLD_SIZE", "8"), ("LOCAL_RANK", "3"), ("LOCAL_WORLD_SIZE", "4"), ("MASTER_ADDR", "10.0.0.1"), ("MASTER_PORT", "29500"));
        Assert.Equal(new WorldInfo(3, 8, 3, 4, "torchrun", "10.0.0.1", 29500), t);
        var s = Detect(("SLURM_PROCID", "5"), ("SLURM_NTASKS", "6"), ("SLURM_LOCALID", "1"), ("SLURM_JOB_NODELIST", "gpu[07-09],cpu1"));
        Assert.Equal((5, 6, 1, "slurm", "gpu07"), (s.Rank, s.Size, s.LocalRank, s.Launcher, s.MasterAddr));
        // mpirun wins over the Slurm allocation it runs inside.
        Assert.Equal("mpirun", Detect(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "1"), ("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "2")).Launcher);
        Assert.Same(WorldInfo.Single, Detect());
        Assert.Throws<ArgumentException>(() => Detect(("RANK", "2"), ("WORLD_SIZE", "2")));
        Assert.Throws<ArgumentException>(() => Detect(("RANK", "x"), ("WORLD_SIZE", "2")));
    }

    [Fact]
    public void RanksRunDisjointBlocksThatCoverEveryMicroBatch()
    {
        foreach (var (micro, world) in new[] { (4, 2), (5, 2), (3, 4), (1, 2), (7, 3) })
        {
            var seen = new List<int>();
            for (int r = 0; r < world; r++)
            {
                var (first, count) = StepSharding.MicroBatchesOf(micro, r, world);
                Assert.Equal(seen.Count, first); // contiguous, in rank order
                seen.AddRange(Enumerable.Range(first, count));
            }
            Assert.Equal(Enumerable.Range(0, micro), seen);
        }
        Assert.Equal(4, StepSharding.MicroBatchSize(8, 4, 2));  // batch 4 × accumulation 2 over 2 ranks: the same micro-batches
        Assert.Equal(4, StepSharding.MicroBatchSize(8, 8, 2));  // one micro-batch of 8 is split so both ranks work
        Assert.Equal(1, StepSharding.MicroBatchSize(1, 8, 2));
    }

    [Fact]
    public void WorldOfOneCollectivesKeepOrCopyTheData()
    {
        var c = LocalCommunicator.Cpu;
        var a = Tensor.FromArray(new float[] { 1, 2, 3 }, 3);
        c.AllReduceSum(a);
        Assert.Equal(new float[] { 1, 2, 3 }, a.ToArray<float>());
        var o = Tensor.Zeros([3]);
        c.AllGather(a, o);
        Assert.Equal(new float[] { 1, 2, 3 }, o.ToArray<float>());
        var r = Tensor.Zeros([3]);
        c.ReduceScatterSum(a, r);
        Assert.Equal(new float[] { 1, 2, 3 }, r.ToArray<float>());
        Assert.Throws<ArgumentException>(() => c.AllGather(a, Tensor.Zeros([4])));
        Assert.Equal("x", c.BroadcastString("x"));
    }

    /// <summary>ZeRO-1 in a world of one runs the sharded code path (flat layout, block AdamW, gather); it must train as plain AdamW does.</summary>
    [Fact]
    public void ZeroStageOneTrainsLikePlainAdamW()
    {
        float[][] Run(int zero, string? outDir = null, bool resume = false, long steps = 4)
        {
            var model = new TrainableModel(ToyTraining.Model(3));
            var o = new TrainerOptions
            {
                LearningRate = 3e-2, BatchSize = 2, GradientAccumulation = 2, MaxSteps = steps, LogSteps = 0, Seed = 5, WeightDecay = 0.1,
                MaxGradNorm = 0.5, ZeroStage = zero, OutputDir = outDir, SaveSteps = outDir is null ? 0 : 2,
            };
            new SftTrainer(model, ToyTraining.ReverseTask(8), o).Train(resume);
            return ToyTraining.Snapshot(model);
        }
        var plain = Run(0);
        var zero = Run(1);
        Assert.NotEqual(ToyTraining.Snapshot(new TrainableModel(ToyTraining.Model(3)))[0], plain[0]);
        for (int i = 0; i < plain.Length; i++)
            for (int j = 0; j < plain[i].Length; j++)
                Assert.True(Math.Abs(plain[i][j] - zero[i][j]) <= 1e-6 * Math.Max(1, Math.Abs(plain[i][j])), $"tensor {i}[{j}]: plain {plain[i][j]}, zero {zero[i][j]}");

        // A ZeRO checkpoint has the plain layout: a plain run resumes from it and ends where the uninterrupted run ends.
        var dir = ToyTraining.TempDir();
        try
        {
            Run(1, dir, steps: 4);
            foreach (var d in Directory.GetDirectories(dir, "checkpoint-4")) Directory.Delete(d, true);
            var resumed = Run(0, dir, resume: true, steps: 4);
            for (int i = 0; i < plain.Length; i++)
                for (int j = 0; j < plain[i].Length; j++)
                    Assert.True(Math.Abs(plain[i][j] - resumed[i][j]) <= 1e-6 * Math.Max(1, Math.Abs(plain[i][j])), $"resumed tensor {i}[{j}]");
        }
        finally { Directory.Delete(dir, true); }
    }
}
