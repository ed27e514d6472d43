using Engine.Models.Generation;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Tests.Models;

namespace Engine.Tests.Serving;

/// <summary>The per-row cache: a decode step over rows at different lengths equals re-forwarding each row alone.</summary>
public class SlotKvCacheTests
{
    [Fact]
    public void RaggedDecodeStepEqualsEachSequenceReforwardedAlone()
    {
        var model = TransformerModel.Load(TransformerParityTests.FixtureDir("llama_gqa_tied"));
        int v = model.Config.VocabSize;
        int[][] seqs = [[5, 9, 17, 3, 44, 12, 8, 30, 2], [71, 2, 30], [11, 12, 13, 14, 15, 16]];
        // Start small so the prefills and steps below grow the storage (doubling copies every layer).
        var cache = new SlotKvCache(model.Config.NumLayers, 4, model.Config.NumKvHeads, model.Config.HeadDim, 2, 32, model.ActivationDType, model.Device);
        using var _ = Autograd.NoGrad();
        // Prefill each prompt but its last token into its own slot; slot 3 keeps stale data from a dropped sequence.
        int[] slotOf = [0, 2, 1];
        Prefill(model, cache, 3, [40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
        for (int s = 0; s < seqs.Length; s++) Prefill(model, cache, slotOf[s], seqs[s][..^1]);
        cache.SetLength(3, 0);
        cache.CopySlot(slotOf[2], 3); // slot 3 now a copy of sequence 2
        // One decode step over slots 0..3: each row feeds its last token at its own position.
        int[] rowSlotSeq = [0, 2, 1, 2];
        cache.Window(0, 4);
        cache.EnsureCapacity(cache.Length + 1);
        var ids = rowSlotSeq.Select(s => (long)seqs[s][^1]).ToArray();
        var pos = Enumerable.Range(0, 4).Select(i => (long)cache.LengthOf(i)).ToArray();
        var mask = cache.KeyMask(1);
        Assert.NotNull(mask);
        var logits = model.Forward(Tensor.FromArray(ids, 4, 1), mask, pos, cache).ToArray<float>();
        for (int r = 0; r < 4; r++)
        {
            var seq = seqs[rowSlotSeq[r]];
            var full = model.Forward(Tensor.FromArray(seq.Select(t => (long)t).ToArray(), 1, seq.Length)).ToArray<float>();
            var want = full[((seq.Length - 1) * v)..(seq.Length * v)];
            var got = logits[(r * v)..((r + 1) * v)];
            for (int i = 0; i < v; i++) Assert.Equal(want[i], got[i], 1e-4f);
            Assert.Equal(seq.Length, cache.LengthOf(r));
        }
        Assert.True(cache.Capacity >= 9 && cache.Capacity <= 32);
    }

    private static void Prefill(TransformerModel model, SlotKvCache cache, int slot, int[] prompt)
    {
        cache.SetLength(slot, 0);
        cache.Window(slot, 1);
        cache.EnsureCapacity(prompt.Length);
        model.ForwardHidden(Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, prompt.Length), null, null, cache);
    }

    [Fact]
    public void GrowingPastTheMaximumIsAnError()
    {
        var cache = new SlotKvCache(1, 2, 1, 4, 4, 8, DType.F32, Device.Cpu);
        cache.EnsureCapacity(8);
        Assert.Equal(8, cache.Capacity);
        Assert.Contains("maximum 8", Assert.Throws<InvalidOperationException>(() => cache.EnsureCapacity(9)).Message);
    }
}
