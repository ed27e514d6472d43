using Engine.Models.Checkpoints;
using System.Text.Json;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Lora;

/// <summary>
/// LoRA adapters on a <see cref="TransformerModel"/>: the base is frozen, only A and B train. Saves and loads
/// the PEFT format (adapter_config.json + adapter_model.safetensors with PEFT key names), merges into the base,
/// and can switch the adapters off so the same model serves as its own reference (DPO/KTO with LoRA).
/// </summary>
public sealed class LoraModel
{
    private readonly List<LoraLayer> _layers = [];
    private bool _enabled = true;

    public TransformerModel Base { get; }
    public LoraConfig Config { get; }
    public IReadOnlyList<LoraLayer> Layers => _layers;
    /// <summary>Dropout is applied only while training.</summary>
    public bool Training { get; set; } = true;
    /// <summary>Source of dropout masks; its offset is saved in trainer checkpoints.</summary>
    public Generator DropoutGenerator { get; }

    private LoraModel(TransformerModel model, LoraConfig cfg, Generator dropout)
    {
        Base = model; Config = cfg; DropoutGenerator = dropout;
    }

    /// <summary>
    /// Attach adapters to every targeted linear layer and freeze the base. A is kaiming-uniform(a=√5), i.e.
    /// U(−1/√in, 1/√in), as PEFT initialises it; B is zero, so the adapted model starts equal to the base.
    /// </summary>
    public static LoraModel Apply(TransformerModel model, LoraConfig cfg, ulong seed = 0)
    {
        cfg.Validate();
        var lora = new LoraModel(model, cfg, new Generator(seed ^ 0xD1B54A32D192ED03UL));
        model.RequireGrad(false);
        ulong k = 0;
        foreach (var layer in model.Layers)
            foreach (var lin in layer.Linears)
            {
                k++;
                if (!cfg.Targets(lin.Name)) continue;
                if (lin.Adapter is not null) throw new InvalidOperationException($"{lin.Name} already has an adapter.");
                double bound = 1.0 / Math.Sqrt(lin.InFeatures);
                var a = Tensor.RandUniform([cfg.Rank, lin.InFeatures], seed + k * 0x9E3779B97F4A7C15UL, -bound, bound, DType.F32);
                var b = Tensor.Zeros([lin.OutFeatures, cfg.Rank], DType.F32);
                if (!model.Device.IsCpu) { a = a.To(model.Device); b = b.To(model.Device); }
                a.RequiresGrad = true; b.RequiresGrad = true;
                var l = new LoraLayer(lora, lin, a, b, cfg.Scale, cfg.Dropout);
                lin.Adapter = l.Forward;
                lora._layers.Add(l);
            }
        if (lora._layers.Count == 0)
            throw new ArgumentException($"LoRA target_modules [{string.Join(", ", cfg.TargetModules)}] match no linear layer. Layer names look like model.layers.0.self_attn.q_proj; use q_proj, v_proj, ... or all-linear.");
        return lora;
    }

    /// <summary>Trainable tensors by PEFT key (base_model.model.….lora_A.weight / lora_B.weight).</summary>
    public IReadOnlyDictionary<string, Tensor> Parameters
    {
        get
        {
            var d = new SortedDictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var l in _layers) { d[l.PeftPrefix + ".lora_A.weight"] = l.A; d[l.PeftPrefix + ".lora_B.weight"] = l.B; }
            return d;
        }
    }

    public bool Enabled
    {
        get => _enabled;
        set
        {
            _enabled = value;
            foreach (var l in _layers) l.Target.Adapter = value ? l.Forward : null;
        }
    }

    /// <summary>Run the base model alone inside the scope: <c>using (lora.DisableAdapters()) ...</c>.</summary>
    public IDisposable DisableAdapters()
    {
        var was = Enabled;
        Enabled = false;
        return new Restore(() => Enabled = was);
    }

    private sealed class Restore(Action a) : IDisposable
    {
        private Action? _a = a;
        public void Dispose() { _a?.Invoke(); _a = null; }
    }

    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>Write adapter_config.json and adapter_model.safetensors (PEFT format).</summary>
    public void Save(string dir, string? baseModelNameOrPath = null)
    {
        Directory.CreateDirectory(dir);
        var cfg = baseModelNameOrPath is null ? Config : Config with { BaseModelNameOrPath = baseModelNameOrPath };
        using (Autograd.NoGrad())
            SafeTensorsWriter.Write(Path.Combine(dir, WeightsFile), Parameters.Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value.Detach())),
                new Dictionary<string, string> { ["format"] = "pt" });
        var json = cfg.ToPeftJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        using var fs = new FileStream(Path.Combine(dir, ConfigFile), FileMode.Create, FileAccess.Write);
        fs.Write(System.Text.Encoding.UTF8.GetBytes(json));
        fs.Flush(flushToDisk: true);
    }

    /// <summary>Attach the adapter saved in <paramref name="dir"/> to <paramref name="model"/>.</summary>
    public static LoraModel Load(TransformerModel model, string dir)
    {
        var lora = Apply(model, LoraConfig.Load(dir));
        lora.LoadWeights(dir);
        return lora;
    }

    /// <summary>Copy A and B from a PEFT adapter_model.safetensors into this model's adapters (in place).</summary>
    public void LoadWeights(string dir)
    {
        var path = Path.Combine(dir, WeightsFile);
        var saved = SafeTensorsDictionary.ReadAll(path);
        using var _ = Autograd.NoGrad();
        foreach (var (name, t) in Parameters)
        {
            // PEFT also writes keys with the adapter name (…lora_A.default.weight) in some versions.
            if (!saved.TryGetValue(name, out var s) && !saved.TryGetValue(name.Replace(".weight", ".default.weight"), out s))
                throw new InvalidDataException($"{path} lacks '{name}'.");
            if (!s.Shape.SequenceEqual(t.Shape)) throw new InvalidDataException($"{path}: '{name}' has shape {s.ShapeString}, the model needs {t.ShapeString}.");
            var src = s.To(t.DType);
            if (!t.Device.IsCpu) src = src.To(t.Device);
            src.CopyTo(t);
        }
        var extra = saved.Keys.Where(k => !Parameters.ContainsKey(k) && !Parameters.ContainsKey(k.Replace(".default.weight", ".weight"))).ToArray();
        if (extra.Length > 0) throw new InvalidDataException($"{path} has tensors for modules this configuration does not target: {string.Join(", ", extra.Take(3))}...");
    }

    /// <summary>W += (alpha/r)·B·A for every adapted layer, then detach the adapters; the base model now computes what the adapted one did.</summary>
    public TransformerModel MergeAndUnload()
    {
        using var _ = Autograd.NoGrad();
        foreach (var l in _layers)
        {
            var w = l.Target.Weight;
            var merged = Ops.Add(w.To(DType.F32), l.Delta()).To(w.DType);
            merged.CopyTo(w);
            l.Target.Adapter = null;
        }
        _layers.Clear();
        return Base;
    }

    /// <summary>Remove the adapters without merging.</summary>
    public void Unload()
    {
        foreach (var l in _layers) l.Target.Adapter = null;
        _layers.Clear();
    }
}
