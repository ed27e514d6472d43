using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>Gradient (activation) checkpointing per decoder layer.</summary>
public sealed partial class TransformerModel
{
    /// <summary>
    /// transformers' <c>gradient_checkpointing</c>: while recording a graph, each decoder layer keeps only its input,
    /// and its forward is rerun when the backward reaches it (<see cref="Checkpoint"/>). Activation memory then grows
    /// by one hidden vector per layer and token instead of all the layer's intermediates, for one more forward of the
    /// decoder. Gradients are bitwise those of the plain path (the same ops on the same inputs, rerun in the same order);
    /// dropout masks are redrawn identically (the generators' offsets are rewound for the rerun). Not applied with a KV
    /// cache (inference) or with structural masks set (<see cref="Masks"/>: their gates are computed tensors outside
    /// the layer), where the plain forward runs. Off by default.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    private bool Checkpointed(LayerHooks hooks, IKvCache? cache) =>
        GradientCheckpointing && Autograd.IsEnabled && cache is null && hooks.Masks is null;

    private Tensor CheckpointedLayer(DecoderLayer layer, Tensor x, Tensor cos, Tensor sin, Tensor? keyMask, LayerHooks hooks)
    {
        var generators = layer.AdapterGenerators().ToList();
        if (hooks.Dropout is { } d && !generators.Contains(d.Generator)) generators.Add(d.Generator);
        return Checkpoint.Run(inp => layer.Forward(inp[0], cos, sin, keyMask, null, Config, hooks), [x], layer.Tensors(), generators);
    }
}
