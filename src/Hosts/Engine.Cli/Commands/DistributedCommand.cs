using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Runtime;
using Engine.Runtime.Distributed;

namespace Engine.Cli.Commands;

/// <summary>`engine distributed check`: every collective once, against values each rank can compute alone.</summary>
public static class DistributedCommand
{
    public static Command Create()
    {
        var device = CliOptions.Device();
        var elements = new Option<int>("--elements") { Description = "Elements per rank in each collective.", DefaultValueFactory = _ => 1000 };
        var check = new Command("check", "Run all-reduce, reduce-scatter, all-gather, broadcast and barrier once in the world the launcher started "
            + "(mpirun -np N engine distributed check; one process is a world of one) and compare each result with the value every rank "
            + "can compute alone. Prints one line per collective and exits non-zero on any mismatch.") { device, elements };
        check.SetAction(r =>
        {
            var dev = DistributedCli.PerProcessDevice(r.GetValue(device)!, CliOptions.ParseDevice(r.GetValue(device)!));
            using var comm = DistributedCli.Join(dev);
            int n = r.GetValue(elements), size = comm.Size, rank = comm.Rank, bad = 0;
            void Report(string what, double maxErr)
            {
                bool ok = maxErr == 0;
                if (!ok) bad++;
                Console.WriteLine($"{(ok ? "ok  " : "FAIL")} rank {rank}/{size} {comm.Backend} {what}{(ok ? "" : $" max error {maxErr}")}");
            }
            // Small integers and halves: every partial sum is exact in f32, so any summation order gives the same bits.
            var a = Tensor.FromArray(Enumerable.Range(0, n).Select(i => (float)((rank + 1) * (i % 97) + 0.5)).ToArray(), n).To(dev);
            comm.AllReduceSum(a);
            var got = a.ToFloatArray();
            Report("all-reduce", Enumerable.Range(0, n).Max(i => Math.Abs(got[i] - ((i % 97) * size * (size + 1) / 2.0 + 0.5 * size))));

            var input = Tensor.FromArray(Enumerable.Range(0, size * n).Select(j => (float)(rank + j % 1009)).ToArray(), size * n).To(dev);
            var block = Tensor.Zeros([n], DType.F32, dev);
            comm.ReduceScatterSum(input, block);
            got = block.ToFloatArray();
            Report("reduce-scatter", Enumerable.Range(0, n).Max(k => Math.Abs(got[k] - (size * ((rank * n + k) % 1009) + size * (size - 1) / 2.0))));

            var mine = Tensor.FromArray(Enumerable.Range(0, n).Select(k => (float)(rank * 1000 + k % 1000)).ToArray(), n).To(dev);
            var all = Tensor.Zeros([size * n], DType.F32, dev);
            comm.AllGather(mine, all);
            got = all.ToFloatArray();
            Report("all-gather", Enumerable.Range(0, size * n).Max(j => Math.Abs(got[j] - ((j / n) * 1000 + (j % n) % 1000))));

            int root = size - 1;
            var b = Tensor.FromArray(Enumerable.Range(0, n).Select(k => (float)(rank == root ? k * 3 + 1 : -1)).ToArray(), n).To(dev);
            comm.Broadcast(b, root);
            got = b.ToFloatArray();
            Report($"broadcast from rank {root}", Enumerable.Range(0, n).Max(k => Math.Abs(got[k] - (k * 3 + 1))));

            var s = comm.BroadcastString(rank == 0 ? "hello from rank 0" : null);
            Report("broadcast string", s == "hello from rank 0" ? 0 : 1);
            comm.Barrier();
            Report("barrier", 0);
            return bad == 0 ? 0 : 1;
        });
        var cmd = new Command("distributed", "Multi-process jobs: check the communicator a launcher (mpirun, Slurm, torchrun) gives this process. "
            + "Training verbs and record jobs join the world on their own when started under a launcher (docs/distributed.md).");
        cmd.Subcommands.Add(check);
        return cmd;
    }
}
