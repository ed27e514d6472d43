using Engine.Runtime;

namespace Engine.Models.Transformer;

/// <summary>The training-time hooks of the forward: dropout (training mode) and structural masks.</summary>
public sealed partial class TransformerModel
{
    private StructuralMasks? _masks;
    private double _attentionDropout, _hiddenDropout;

    /// <summary>
    /// Structural masks multiplied into every forward while set (null: none, the plain forward). Shapes are checked
    /// here; see <see cref="StructuralMasks"/> for where each enters. Set fresh samples before each forward when
    /// training masks; gradients reach them through the forward.
    /// </summary>
    public StructuralMasks? Masks
    {
        get => _masks;
        set { value?.Validate(Config); _masks = value; }
    }

    /// <summary>
    /// Training mode (transformers' <c>model.train()</c>): dropout is applied only while true. False by default, so
    /// inference never drops anything.
    /// </summary>
    public bool Training { get; set; }

    /// <summary>
    /// The Philox stream of the model's dropout masks. Each dropout call reserves the next range of words, so two
    /// forwards draw different masks, and the masks are the same on the CPU and on CUDA for the same seed and offset.
    /// Trainers replace it with a run-seeded generator and checkpoint its <see cref="Generator.Offset"/> to resume exactly.
    /// </summary>
    public Generator DropoutGenerator { get; set; } = new(0);

    /// <summary>
    /// Dropout on the attention probabilities in training mode (starts as config.json's <c>attention_dropout</c>).
    /// When it is 0 attention runs the fused kernel; when positive, the composed <see cref="ComposedAttention"/>.
    /// </summary>
    public double AttentionDropout { get => _attentionDropout; set => _attentionDropout = CheckRate(value, nameof(AttentionDropout)); }

    /// <summary>
    /// Dropout on each attention and MLP block's output before the residual add, in training mode (starts as
    /// config.json's <c>hidden_dropout</c>, 0 for Llama-family checkpoints).
    /// </summary>
    public double HiddenDropout { get => _hiddenDropout; set => _hiddenDropout = CheckRate(value, nameof(HiddenDropout)); }

    private static double CheckRate(double p, string name) =>
        p is >= 0 and < 1 ? p : throw new ArgumentOutOfRangeException(name, $"{name} must be in [0, 1), got {p}.");

    /// <summary>The dropout in force for one forward, or null (eval mode, or both rates 0).</summary>
    private DropoutHooks? ActiveDropout(Tensor? keyMask, int batch, int tq, int tk)
    {
        if (!Training || (AttentionDropout == 0 && HiddenDropout == 0)) return null;
        var mask = AttentionDropout > 0 ? AttentionMask.Build(keyMask, batch, Config.NumHeads, tq, tk, ActivationDType, Device) : null;
        return new DropoutHooks(AttentionDropout, HiddenDropout, DropoutGenerator, mask);
    }
}
