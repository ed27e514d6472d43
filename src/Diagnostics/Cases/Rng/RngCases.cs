using Engine.Diagnostics.OpCases;
using Engine.Runtime;
using static Engine.Diagnostics.Cases.CaseKit;

namespace Engine.Diagnostics.Cases.Rng;

/// <summary>The Philox stream every random op draws from (kernels/rng.cu), bit for bit.</summary>
public static class RngCases
{
    private const ulong Seed = 20261125, Offset = 17;

    /// <summary>The input is only a placeholder of the output's shape: it carries the device the words are drawn on.</summary>
    public static IEnumerable<OpCase> All() => new[] { 1, 1000, 65_537 }.Select(n => new OpCase
    {
        Family = "Rng", Name = "philox.words", Shape = Dims(n), Op = BackendOp.PhiloxWords, DType = DType.I32,
        Inputs = _ => [Tensor.Zeros([n], DType.I32)],
        Run = t => [Exact("philox.words", Ops.PhiloxWords(t[0].ShapeArray(), Seed, Offset, t[0].Device))],
        Reference = _ => [Ref("philox.words", Enumerable.Range(0, n).Select(i => (double)(int)RngReference.Word(Seed, Offset, (ulong)i)).ToArray(), 0)],
    });
}

/// <summary>Philox4x32-10 written from its definition (Salmon et al., SC'11), independent of Engine.Runtime.Philox.</summary>
public static class RngReference
{
    /// <summary>Word <paramref name="index"/> of the stream (seed, offset): word index % 4 of block offset + index / 4.</summary>
    public static uint Word(ulong seed, ulong offset, ulong index)
    {
        ulong counter = offset + index / 4;
        uint[] c = [(uint)counter, (uint)(counter >> 32), 0, 0];
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
            ulong p0 = 0xD2511F53UL * c[0], p1 = 0xCD9E8D57UL * c[2];
            c = [(uint)(p1 >> 32) ^ c[1] ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c[3] ^ k1, (uint)p0];
        }
        return c[(int)(index % 4)];
    }
}
