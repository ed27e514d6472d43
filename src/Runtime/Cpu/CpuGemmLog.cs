using System.Diagnostics;
using System.Runtime.InteropServices;
using Engine.Runtime.Cpu;

namespace Engine.Runtime;

/// <summary>
/// The GEMMs a piece of work called, recorded while <see cref="Enabled"/> (shape, transposes, batch), and their replay
/// alone on preallocated buffers: the time the same matmuls take with nothing else around them. `engine bench train`
/// divides a step's time by it, which is how the issue states its goal (step throughput as a share of GEMM-only).
/// </summary>
public static class CpuGemmLog
{
    /// <summary>One f32 GEMM call: C[batch][m×n] = op(A)·op(B); <paramref name="SharedB"/> when one B serves every batch entry.</summary>
    public readonly record struct Call(bool TransA, bool TransB, int M, int N, int K, int Batch, bool SharedB)
    {
        public double Flops => 2.0 * M * N * K * Batch;
    }

    private static readonly List<Call> Calls = [];
    private static readonly Lock Gate = new();

    public static bool Enabled { get; set; }

    public static void Record(in Call call)
    {
        if (!Enabled) return;
        lock (Gate) Calls.Add(call);
    }

    public static void Reset() { lock (Gate) Calls.Clear(); }

    public static IReadOnlyList<Call> Snapshot() { lock (Gate) return [.. Calls]; }

    /// <summary>
    /// Runs <paramref name="calls"/> in order, <paramref name="rounds"/> times after one untimed round (page faults, JIT),
    /// on buffers allocated once per distinct shape and filled with non-zero values. Returns the mean wall seconds of a
    /// round and the process CPU seconds of a round.
    /// </summary>
    public static unsafe (double Wall, double Cpu) Replay(IReadOnlyList<Call> calls, int rounds = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var buffers = new Dictionary<Call, nint[]>();
        try
        {
            foreach (var c in calls)
            {
                if (buffers.ContainsKey(c)) continue;
                long a = (long)c.M * c.K * c.Batch, b = (long)c.K * c.N * (c.SharedB ? 1 : c.Batch), y = (long)c.M * c.N * c.Batch;
                buffers[c] = [Filled(a, 1), Filled(b, 2), Filled(y, 3)];
            }
            void Round()
            {
                foreach (var c in calls)
                {
                    var p = buffers[c];
                    Gemm.GemmStridedBatched(c.TransA, c.TransB, c.M, c.N, c.K, 1f, (float*)p[0], c.TransA ? c.M : c.K, (long)c.M * c.K,
                        (float*)p[1], c.TransB ? c.K : c.N, c.SharedB ? 0 : (long)c.K * c.N, 0f, (float*)p[2], c.N, (long)c.M * c.N, c.Batch);
                }
            }
            Round();
            var proc = Process.GetCurrentProcess();
            var cpu0 = proc.TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            for (int r = 0; r < rounds; r++) Round();
            double wall = sw.Elapsed.TotalSeconds;
            proc.Refresh();
            return (wall / rounds, (proc.TotalProcessorTime - cpu0).TotalSeconds / rounds);
        }
        finally
        {
            foreach (var p in buffers.Values) foreach (var q in p) NativeMemory.AlignedFree((void*)q);
        }
    }

    // Values in [-0.5, 0.5): no zeros or denormals to flatter the timing.
    private static unsafe nint Filled(long n, uint seed)
    {
        var p = (float*)NativeMemory.AlignedAlloc((nuint)(Math.Max(1, n) * sizeof(float)), 64);
        uint s = seed * 2654435761u + 1;
        for (long i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; p[i] = (s >> 8) / 16777216f - 0.5f; }
        return (nint)p;
    }
}
