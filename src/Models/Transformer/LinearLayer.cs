using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>
/// y = x·Wᵀ + b with the weight in the Hugging Face [out, in] layout. An optional adapter
/// (LoRA) adds its own term; the base weight may be frozen or trainable.
/// </summary>
public sealed class LinearLayer(string name, Tensor weight, Tensor? bias)
{
    public string Name { get; } = name;
    public Tensor Weight { get; set; } = weight;
    public Tensor? Bias { get; set; } = bias;
    /// <summary>Extra term added to the output (LoRA: scale·B(A(dropout(x)))).</summary>
    public Func<Tensor, Tensor>? Adapter { get; set; }

    public int InFeatures => Weight.Size(1);
    public int OutFeatures => Weight.Size(0);

    public Tensor Forward(Tensor x)
    {
        var y = Ops.Linear(x, Weight, Bias);
        return Adapter is null ? y : Ops.Add(y, Adapter(x));
    }
}
