using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Lora;

/// <summary>
/// The low-rank update of one linear layer: y += scale·B(A(dropout(x))), A [r, in], B [out, r].
/// Installed through <see cref="LinearLayer.Adapter"/>; the base weight is untouched.
/// </summary>
public sealed class LoraLayer : ILayerAdapter
{
    private readonly LoraModel _owner;
    public LinearLayer Target { get; }
    public Tensor A { get; }
    public Tensor B { get; }
    public double Scale { get; }
    public double Dropout { get; }

    /// <summary>PEFT key prefix: base_model.model.&lt;module path&gt;.</summary>
    public string PeftPrefix => "base_model.model." + Target.Name;

    internal LoraLayer(LoraModel owner, LinearLayer target, Tensor a, Tensor b, double scale, double dropout)
    {
        _owner = owner; Target = target; A = a; B = b; Scale = scale; Dropout = dropout;
    }

    IEnumerable<Tensor> ILayerAdapter.AdapterParameters => [A, B];
    Generator? ILayerAdapter.AdapterGenerator => Dropout > 0 ? _owner.DropoutGenerator : null;

    public Tensor Forward(Tensor x)
    {
        if (x.DType != A.DType) x = x.To(A.DType);
        if (Dropout > 0 && _owner.Training) x = Ops.Dropout(x, Dropout, _owner.DropoutGenerator, training: true);
        var y = Ops.Linear(Ops.Linear(x, A), B);
        return Ops.Scale(y, Scale);
    }

    /// <summary>scale·B·A [out, in] in f32, the term merging adds to the base weight.</summary>
    public Tensor Delta()
    {
        using var _ = Autograd.NoGrad();
        return Ops.Scale(Ops.MatMul(B.To(DType.F32), A.To(DType.F32)), Scale);
    }
}
