using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>
/// What gradient checkpointing must know about the object behind a <see cref="LinearLayer.Adapter"/> (LoRA's
/// <c>LoraLayer</c>): the tensors it trains, and the generator of its random draws (dropout), whose offset the
/// rerun of a checkpointed layer rewinds so that it draws the same masks.
/// </summary>
public interface ILayerAdapter
{
    IEnumerable<Tensor> AdapterParameters { get; }
    Generator? AdapterGenerator { get; }
}
