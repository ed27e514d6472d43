using Engine.Methods.Evaluation.Testbed;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>Training pools for the curriculum experiments: several task families and all three response lengths.</summary>
public static class TestbedPool
{
    /// <summary>
    /// <paramref name="n"/> train-split records of <paramref name="tasks"/>, a third each with short, medium and long
    /// responses (each third from its own seed derived from <paramref name="seed"/>), families balanced within each third.
    /// </summary>
    public static List<TestbedRecord> MixedLengths(IReadOnlyList<ITaskFamily> tasks, int n, ulong seed, double noise = 0)
    {
        var lengths = new[] { ResponseLength.Short, ResponseLength.Medium, ResponseLength.Long };
        var pool = new List<TestbedRecord>(n);
        for (int k = 0; k < lengths.Length; k++)
        {
            int part = n / 3 + (k < n % 3 ? 1 : 0);
            pool.AddRange(TestbedGenerator.Generate(new TestbedOptions
            {
                Tasks = tasks, N = part, Noise = noise, Length = lengths[k], Seed = seed * 1000 + (ulong)k, Split = TestbedSplit.Train,
            }));
        }
        return pool;
    }
}
