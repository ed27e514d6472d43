using Engine.Runtime;
using Engine.Runtime.Distributed;

namespace Engine.Methods.Training.Distributed;

/// <summary>
/// A 64-bit hash of the exact bits of every trained tensor, compared across ranks: data-parallel ranks must hold
/// identical parameters after every step, and a difference (a rank that read other data, a nondeterministic kernel, a
/// bit flip) is an error on every rank, naming the step and the ranks that differ from rank 0.
/// </summary>
public static class ParameterChecksum
{
    /// <summary>Test hook: "rank:step" adds a tiny amount to one parameter of that rank just before that step's check.</summary>
    public const string PerturbEnvVar = "ENGINE_TEST_DP_PERTURB";

    public static ulong Of(IEnumerable<Tensor> tensors)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (var t in tensors)
        {
            // Trained tensors are f32 (or f64) masters: hash their exact bits.
            byte[] bytes = t.DType == DType.F64
                ? System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan()).ToArray()
                : System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.To(DType.F32).ToArray<float>().AsSpan()).ToArray();
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes.AsSpan(0, bytes.Length & ~7));
            foreach (var w in words) h = Mix(h ^ w);
            for (int i = bytes.Length & ~7; i < bytes.Length; i++) h = Mix(h ^ bytes[i]);
            h = Mix(h ^ (ulong)t.NumElements);
        }
        return h;
    }

    private static ulong Mix(ulong x)
    {
        x *= 0xBF58476D1CE4E5B9UL; x ^= x >> 31;
        x *= 0x94D049BB133111EBUL; x ^= x >> 29;
        return x;
    }

    /// <summary>Throws on every rank when any rank's parameters differ from rank 0's after step <paramref name="step"/>.</summary>
    public static void Verify(ICommunicator comm, IReadOnlyList<Tensor> tensors, long step)
    {
        if (comm.Size == 1) return;
        if (Environment.GetEnvironmentVariable(PerturbEnvVar) is { Length: > 0 } spec && spec.Split(':') is [var r, var s]
            && int.Parse(r) == comm.Rank && long.Parse(s) == step && tensors.Count > 0)
            using (Autograd.NoGrad()) Ops.Add(tensors[0], Tensor.Full(tensors[0].ShapeArray(), 1e-3, tensors[0].DType, tensors[0].Device)).CopyTo(tensors[0]);
        ulong mine = Of(tensors);
        var all = new double[2 * comm.Size];
        all[2 * comm.Rank] = mine >> 32; all[2 * comm.Rank + 1] = mine & 0xFFFFFFFFUL;
        comm.AllReduceSum(all); // each slot has one contributor, and 32-bit halves are exact in f64
        var hashes = Enumerable.Range(0, comm.Size).Select(k => ((ulong)all[2 * k] << 32) | (ulong)all[2 * k + 1]).ToArray();
        var differ = Enumerable.Range(1, comm.Size - 1).Where(k => hashes[k] != hashes[0]).ToList();
        if (differ.Count > 0)
            throw new InvalidOperationException($"Data-parallel ranks diverged after step {step}: the parameters of rank{(differ.Count > 1 ? "s" : "")} "
                + $"{string.Join(", ", differ)} differ from rank 0's (checksums {string.Join(", ", differ.Select(k => $"{hashes[k]:x16}"))} vs {hashes[0]:x16}). "
                + "Every rank must read the same data and run the same deterministic code; restart from the last checkpoint with --resume.");
    }
}
