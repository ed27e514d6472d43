using Engine.Models.Config;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Pruning;

/// <summary>One query-head slot of a dense layer: the source head, and whether it is real or zero-output padding.</summary>
internal readonly record struct HeadSlot(int Head, bool Real);

/// <summary>One decoder layer of the dense model: which source heads, KV heads and MLP units fill its slots.</summary>
/// <param name="Source">The source layer index.</param>
/// <param name="KvHeads">Source KV head of each dense KV head.</param>
/// <param name="Heads">Source query head of each dense query head; dense head s uses dense KV head s / (Hq'/Hkv').</param>
/// <param name="Units">Source unit of each dense MLP unit, and whether it is real.</param>
internal sealed record DenseLayer(int Source, int[] KvHeads, HeadSlot[] Heads, (int Unit, bool Real)[] Units);

/// <summary>
/// Which parts of a masked model survive as a dense Llama-family model. A head, unit or dim survives when its
/// effective mask (its own × its KV head's × its layer's) is non-zero; a layer survives while its attention or MLP still
/// adds something to the residual stream. A Hugging Face config has one head count, KV-head count and intermediate
/// size for every layer, so layers that keep fewer are padded with source heads/units whose output weights are zeroed
/// (exact: they add nothing); with the per-layer target counts of L0 training (DRPruning) nothing is padded.
/// </summary>
internal sealed class DensePlan
{
    public required double[] Hidden { get; init; }
    public required double[,] Heads { get; init; }
    public required double[] AttentionLayers { get; init; }
    public required double[,] Intermediate { get; init; }
    public required double[] MlpLayers { get; init; }
    public required int[] KeptHidden { get; init; }
    public required DenseLayer[] Layers { get; init; }
    public required int KvHeads { get; init; }
    public required int HeadsPerKv { get; init; }
    public required int IntermediateSize { get; init; }
    public int PaddedHeads => Layers.Sum(l => l.Heads.Count(h => !h.Real));
    public int PaddedUnits => Layers.Sum(l => l.Units.Count(u => !u.Real));

    public static DensePlan Make(TransformerModel model, StructuralMasks masks)
    {
        var cfg = model.Config;
        masks.Validate(cfg);
        int l = cfg.NumLayers, hq = cfg.NumHeads, hkv = cfg.NumKvHeads, rep = cfg.KvGroups, im = cfg.IntermediateSize;
        var hidden = Values(masks.Hidden, cfg.HiddenSize);
        var kept = Enumerable.Range(0, cfg.HiddenSize).Where(d => hidden[d] != 0).ToArray();
        if (kept.Length == 0) throw new InvalidOperationException("Every hidden dimension is masked out; there is no model to export.");
        var zq = Values(masks.Heads, l * hq); var zkv = Values(masks.KvHeads, l * hkv); var zi = Values(masks.Intermediate, l * im);
        var za = Values(masks.AttentionLayers, l); var zm = Values(masks.MlpLayers, l);
        var heads = new double[l, hq]; var units = new double[l, im];
        for (int i = 0; i < l; i++)
        {
            for (int h = 0; h < hq; h++) heads[i, h] = zq[i * hq + h] * zkv[i * hkv + h / rep];
            for (int u = 0; u < im; u++) units[i, u] = zi[i * im + u];
        }
        bool oBias = cfg.OutputBias, downBias = cfg.MlpBias;
        var real = new List<(int layer, int[] heads, int[] units)>();
        for (int i = 0; i < l; i++)
        {
            int layer = i;
            var hs = Enumerable.Range(0, hq).Where(h => heads[layer, h] * za[layer] != 0).ToArray();
            var us = Enumerable.Range(0, im).Where(u => units[layer, u] * zm[layer] != 0).ToArray();
            bool attention = hs.Length > 0 || (oBias && za[i] != 0), mlp = us.Length > 0 || (downBias && zm[i] != 0);
            if (attention || mlp) real.Add((i, hs, us));
        }
        if (real.Count == 0) throw new InvalidOperationException("Every layer is masked out; there is no model to export.");
        int kvOut = Math.Max(1, real.Max(r => r.heads.Select(h => h / rep).Distinct().Count()));
        int repOut = Math.Max(1, real.Max(r => r.heads.Length == 0 ? 0 : r.heads.GroupBy(h => h / rep).Max(g => g.Count())));
        int imOut = Math.Max(1, real.Max(r => r.units.Length));
        var layers = real.Select(r => Layer(r.layer, r.heads, r.units)).ToArray();
        return new DensePlan
        {
            Hidden = hidden, Heads = heads, AttentionLayers = za, Intermediate = units, MlpLayers = zm, KeptHidden = kept,
            Layers = layers, KvHeads = kvOut, HeadsPerKv = repOut, IntermediateSize = imOut,
        };

        DenseLayer Layer(int source, int[] realHeads, int[] realUnits)
        {
            var groups = realHeads.Select(h => h / rep).Distinct().ToList();
            groups.AddRange(Enumerable.Range(0, hkv).Where(g => !groups.Contains(g)).Take(kvOut - groups.Count));
            var slots = new List<HeadSlot>();
            foreach (var g in groups)
            {
                var mine = realHeads.Where(h => h / rep == g).ToList();
                slots.AddRange(mine.Select(h => new HeadSlot(h, true)));
                slots.AddRange(Enumerable.Range(g * rep, rep).Where(h => !mine.Contains(h)).Take(repOut - mine.Count).Select(h => new HeadSlot(h, false)));
            }
            var unitSlots = realUnits.Select(u => (u, true)).Concat(Enumerable.Range(0, im).Except(realUnits).Take(imOut - realUnits.Length).Select(u => (u, false)));
            return new DenseLayer(source, [.. groups], [.. slots], [.. unitSlots]);
        }
    }

    /// <summary>A mask's values on the host, or ones when it is absent.</summary>
    private static double[] Values(Tensor? mask, int n)
    {
        if (mask is null) { var ones = new double[n]; Array.Fill(ones, 1.0); return ones; }
        using var _ = Autograd.NoGrad();
        return mask.ToDoubleArray();
    }
}
