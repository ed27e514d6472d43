using Engine.Methods.Core.Jobs;
using Engine.Models;
using Engine.Models.Lora;
using Engine.Runtime;

namespace Engine.Methods.Core.Inference;

/// <summary>
/// A model loaded for inference: the Hugging Face folder, optionally a PEFT LoRA adapter attached (not merged: the
/// base weights stay as they are on disk, the adapter runs beside them), and how it runs. <see cref="Describe"/> adds
/// its identity — weights and adapter contents, weight dtype, device kind — to a job's fingerprint.
/// </summary>
public sealed class InferenceModel
{
    public ModelBundle Bundle { get; }
    public LoraModel? Adapter { get; }
    public string ModelDirectory { get; }
    public string? AdapterDirectory { get; }
    public Device Device { get; }
    public DType DType { get; }

    private InferenceModel(ModelBundle bundle, LoraModel? adapter, string dir, string? adapterDir, Device device, DType dtype)
    {
        Bundle = bundle; Adapter = adapter; ModelDirectory = dir; AdapterDirectory = adapterDir; Device = device; DType = dtype;
    }

    /// <param name="adapterDir">A PEFT adapter folder (adapter_config.json, adapter_model.safetensors) trained on this model.</param>
    public static InferenceModel Load(string dir, Device device, DType dtype = DType.F32, string? adapterDir = null)
    {
        var bundle = ModelBundle.Load(dir, device, dtype);
        LoraModel? lora = null;
        if (adapterDir is not null)
        {
            if (!File.Exists(Path.Combine(adapterDir, LoraModel.ConfigFile)))
                throw new FileNotFoundException($"--adapter {adapterDir}: no {LoraModel.ConfigFile} (a PEFT LoRA adapter folder is expected).");
            lora = LoraModel.Load(bundle.Model, adapterDir);
            lora.Training = false;   // no LoRA dropout at inference
        }
        return new InferenceModel(bundle, lora, dir, adapterDir, device, dtype);
    }

    /// <summary>Longest sequence the model takes.</summary>
    public int Context => Bundle.Model.Config.MaxPositionEmbeddings;

    public void Describe(JobFingerprint f)
    {
        f.Add("model", ContentDigest.OfModel(ModelDirectory));
        f.Add("adapter", AdapterDirectory is null ? "none" : ContentDigest.OfModel(AdapterDirectory));
        f.Add("dtype", DType.ToString().ToLowerInvariant());
        f.Add("device", Device.IsCpu ? "cpu" : "cuda");
    }

    /// <summary>Where the model and adapter were read from (kept in the manifest for people).</summary>
    public Dictionary<string, string> Sources()
    {
        var d = new Dictionary<string, string> { ["model"] = Path.GetFullPath(ModelDirectory) };
        if (AdapterDirectory is not null) d["adapter"] = Path.GetFullPath(AdapterDirectory);
        return d;
    }
}
