using Engine.Models.Lora;
using Engine.Models.Transformer;
using Engine.Runtime;
using Engine.Runtime.Optim;

namespace Engine.Methods.Training;

/// <summary>
/// The model a trainer updates: a full <see cref="TransformerModel"/>, or its LoRA adapters with the base frozen.
/// Owns the trainable tensors by name and their optimizer groups.
///
/// Precision: the model's own tensors are f32 and are the optimizer's master weights, on every device and under
/// every <see cref="ComputePrecision"/>. With bf16 compute the trainer opens an <see cref="Autocast"/> scope per
/// optimizer step: each matmul weight is cast to bf16 once per step (cached by the scope), matmuls run on bf16
/// operands with f32 accumulation, and the gradients reach these f32 masters in f32, where clipping, AdamW (f32
/// moments) and checkpoints work as in an f32 run. <see cref="SyncComputeCopies"/> marks the cached casts stale
/// after an update. bf16 needs no loss scaling (same exponent range as f32).
/// </summary>
public sealed class TrainableModel
{
    public TransformerModel Model { get; }
    public LoraModel? Lora { get; }
    /// <summary>Where the base weights came from (written into adapter_config.json).</summary>
    public string? BaseModelPath { get; }
    /// <summary>Trainable tensors by name (HF names, or PEFT keys for LoRA), in a fixed order.</summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> Trainable { get; }

    public TrainableModel(TransformerModel model, LoraModel? lora = null, string? baseModelPath = null)
    {
        Model = model; Lora = lora; BaseModelPath = baseModelPath;
        if (lora is not null)
        {
            if (!ReferenceEquals(lora.Base, model)) throw new ArgumentException("The LoRA adapters belong to a different model.");
            Trainable = lora.Parameters.ToList();
        }
        else
        {
            model.RequireGrad(true);
            Trainable = model.Parameters.ToList();
        }
        foreach (var (name, t) in Trainable)
            if (t.DType != DType.F32) throw new NotSupportedException($"Training needs f32 parameters on this backend; '{name}' is {t.DType}. Load the model with dtype F32.");
    }

    /// <summary>
    /// A model none of whose tensors train (all frozen, nothing saved): for a method whose trainable tensors are its own
    /// parameter groups around a fixed LLM, e.g. a speech connector that feeds a frozen decoder. Gradients still flow
    /// through the model to whatever produced its inputs.
    /// </summary>
    public static TrainableModel Frozen(TransformerModel model, string? baseModelPath = null) => new(model, baseModelPath);

    private TrainableModel(TransformerModel model, string? baseModelPath)
    {
        Model = model; BaseModelPath = baseModelPath; IsFrozen = true;
        model.RequireGrad(false);
        Trainable = [];
    }

    /// <summary>True for <see cref="Frozen"/>: no tensor of the model trains, and checkpoints and the final folder hold none of it.</summary>
    public bool IsFrozen { get; }

    public IEnumerable<Tensor> Parameters => Trainable.Select(kv => kv.Value);

    /// <summary>transformers' rule: no weight decay on biases and norm weights.</summary>
    public static bool Decays(string name) => !(name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("norm", StringComparison.Ordinal));

    /// <summary>Two AdamW groups (decayed, not decayed). Either may be empty.</summary>
    public (AdamW decay, AdamW noDecay) CreateOptimizers(TrainerOptions o)
    {
        var d = Trainable.Where(kv => Decays(kv.Key)).Select(kv => kv.Value).ToList();
        var nd = Trainable.Where(kv => !Decays(kv.Key)).Select(kv => kv.Value).ToList();
        return (new AdamW(d, o.LearningRate, o.Beta1, o.Beta2, o.AdamEpsilon, o.WeightDecay),
                new AdamW(nd, o.LearningRate, o.Beta1, o.Beta2, o.AdamEpsilon, 0.0));
    }

    /// <summary>After an optimizer step: bf16 compute copies cast from the masters before it are stale (recast on next use).</summary>
    public void SyncComputeCopies() => Autocast.MarkUpdated(Parameters);

    /// <summary>
    /// The random generators training draws from, by name; the trainer saves their offsets in every checkpoint and
    /// restores them on resume. A new source of randomness in the model (e.g. decoder dropout) is one more line here.
    /// </summary>
    public IEnumerable<KeyValuePair<string, Generator>> Generators
    {
        get
        {
            if (Lora is not null) yield return new("lora_dropout", Lora.DropoutGenerator);
            if (HasDecoderDropout) yield return new("decoder_dropout", Model.DropoutGenerator);
        }
    }

    /// <summary>True when the decoder applies attention or residual dropout while training (config.json's rates, or set on the model).</summary>
    public bool HasDecoderDropout => Model.AttentionDropout > 0 || Model.HiddenDropout > 0;

    /// <summary>
    /// Give the decoder's dropout its own Philox stream derived from the run's seed (the trainer calls this once), so
    /// two runs with the same seed draw the same masks and a resumed run continues the stream from the saved offset.
    /// </summary>
    public void SeedDecoderDropout(ulong seed)
    {
        if (HasDecoderDropout) Model.DropoutGenerator = new Generator(seed ^ 0xC2B2AE3D27D4EB4FUL);
    }

    /// <summary>Dropout on (training) or off (evaluation, reference passes, and after training ends): LoRA's and the decoder's.</summary>
    public bool Training
    {
        set
        {
            if (Lora is not null) Lora.Training = value;
            Model.Training = value;
        }
    }

    /// <summary>The trainable state into a folder: the HF model folder, or the PEFT adapter.</summary>
    public void SaveTrainable(string dir)
    {
        if (IsFrozen) return;
        if (Lora is not null) Lora.Save(dir, BaseModelPath);
        else Model.Save(dir);
    }

    /// <summary>Copy the trainable tensors saved by <see cref="SaveTrainable"/> back in place (the optimizer keeps its references).</summary>
    public void LoadTrainable(string dir)
    {
        if (IsFrozen) return;
        if (Lora is not null) { Lora.LoadWeights(dir); Autocast.MarkUpdated(Parameters); return; }
        using var ckpt = Engine.Models.Checkpoints.CheckpointFolder.Open(dir);
        using var _ = Autograd.NoGrad();
        foreach (var (name, t) in Trainable)
        {
            var s = ckpt.Load(name, t.DType);
            if (!s.Shape.SequenceEqual(t.Shape)) throw new InvalidDataException($"{dir}: '{name}' has shape {s.ShapeString}, the model needs {t.ShapeString}.");
            (t.Device.IsCpu ? s : s.To(t.Device)).CopyTo(t);
        }
        Autocast.MarkUpdated(Parameters);
    }

    /// <summary>The final model: a full HF folder (LoRA merged in, when <paramref name="mode"/> says so) or the adapter alone.</summary>
    public void SaveFinal(string dir, FinalSaveMode mode)
    {
        if (IsFrozen) return;
        if (Lora is null) { Model.Save(dir); return; }
        if (mode == FinalSaveMode.Adapter) { Lora.Save(dir, BaseModelPath); return; }
        // Merge into a copy of the weights so this object stays usable (the adapters remain attached).
        using var _ = Autograd.NoGrad();
        var originals = Lora.Layers.Select(l => (l.Target.Weight, Saved: l.Target.Weight.Clone())).ToList();
        foreach (var l in Lora.Layers)
            Ops.Add(l.Target.Weight.To(DType.F32), l.Delta()).To(l.Target.Weight.DType).CopyTo(l.Target.Weight);
        try
        {
            using (Lora.DisableAdapters()) Model.Save(dir);
        }
        finally
        {
            foreach (var (w, saved) in originals) saved.CopyTo(w);
        }
    }
}
