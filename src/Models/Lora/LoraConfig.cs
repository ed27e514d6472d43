using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Models.Lora;

/// <summary>
/// LoRA hyperparameters as PEFT names them: rank r, lora_alpha, lora_dropout and target_modules
/// (module names such as q_proj,v_proj, or "all-linear" for every linear layer except the output head).
/// </summary>
public sealed record LoraConfig
{
    public const string AllLinear = "all-linear";
    public static readonly string[] AllLinearModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 16;
    public double Dropout { get; init; }
    /// <summary>Module names (last dotted component, or a full module path), or the single entry "all-linear".</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];
    public string? BaseModelNameOrPath { get; init; }

    /// <summary>y += Scale·B·A·x with Scale = alpha / r (PEFT without rslora).</summary>
    public double Scale => Alpha / Rank;

    public void Validate()
    {
        if (Rank <= 0) throw new ArgumentException($"LoRA rank must be positive, got {Rank}.");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"LoRA dropout must be in [0, 1), got {Dropout}.");
        if (TargetModules.Count == 0) throw new ArgumentException("LoRA needs at least one target module (e.g. q_proj,v_proj or all-linear).");
    }

    /// <summary>"q_proj,v_proj" or "all-linear".</summary>
    public static IReadOnlyList<string> ParseTargets(string s) =>
        s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Does a linear layer with this Hugging Face module path (e.g. model.layers.0.self_attn.q_proj) get an adapter?</summary>
    public bool Targets(string modulePath)
    {
        var leaf = modulePath[(modulePath.LastIndexOf('.') + 1)..];
        foreach (var t in TargetModules)
        {
            if (t == AllLinear) { if (AllLinearModules.Contains(leaf)) return true; continue; }
            if (t == leaf || t == modulePath || modulePath.EndsWith("." + t, StringComparison.Ordinal)) return true;
        }
        return false;
    }

    /// <summary>adapter_config.json as PEFT writes it, so peft.PeftModel.from_pretrained loads our adapters.</summary>
    public JsonObject ToPeftJson(bool inferenceMode = true)
    {
        JsonNode targets = TargetModules.Count == 1 && TargetModules[0] == AllLinear
            ? JsonValue.Create(AllLinear)!
            : new JsonArray(TargetModules.Select(t => (JsonNode)JsonValue.Create(t)!).ToArray());
        return new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = Rank,
            ["lora_alpha"] = Alpha,
            ["lora_dropout"] = Dropout,
            ["target_modules"] = targets,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["base_model_name_or_path"] = BaseModelNameOrPath,
            ["inference_mode"] = inferenceMode,
            ["init_lora_weights"] = true,
            ["use_rslora"] = false,
            ["use_dora"] = false,
            ["modules_to_save"] = null,
            ["layers_to_transform"] = null,
            ["layers_pattern"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
            ["revision"] = null,
        };
    }

    public static LoraConfig FromPeftJson(JsonObject o, string source = "adapter_config.json")
    {
        string Str(string k) => o[k] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
        if (!string.Equals(Str("peft_type"), "LORA", StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedException($"{source}: peft_type '{Str("peft_type")}' is not supported (only LORA).");
        if (o["use_dora"] is JsonValue d && d.TryGetValue<bool>(out var dora) && dora) throw new NotSupportedException($"{source}: DoRA adapters are not supported.");
        if (o["use_rslora"] is JsonValue rs && rs.TryGetValue<bool>(out var rslora) && rslora) throw new NotSupportedException($"{source}: rsLoRA scaling is not supported.");
        if (o["fan_in_fan_out"] is JsonValue f && f.TryGetValue<bool>(out var fifo) && fifo) throw new NotSupportedException($"{source}: fan_in_fan_out adapters (GPT-2 Conv1D) are not supported.");
        if (Str("bias") is { Length: > 0 } b && b != "none") throw new NotSupportedException($"{source}: bias '{b}' is not supported (only \"none\").");
        if (o["rank_pattern"] is JsonObject rp && rp.Count > 0 || o["alpha_pattern"] is JsonObject ap && ap.Count > 0)
            throw new NotSupportedException($"{source}: per-module rank_pattern/alpha_pattern is not supported.");
        var targets = o["target_modules"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<string>()).ToArray(),
            JsonValue v when v.TryGetValue<string>(out var s) => s == AllLinear ? [AllLinear] : throw new NotSupportedException($"{source}: regex target_modules '{s}' is not supported; list module names."),
            _ => throw new InvalidDataException($"{source}: target_modules missing."),
        };
        var cfg = new LoraConfig
        {
            Rank = o["r"]?.GetValue<int>() ?? throw new InvalidDataException($"{source}: r missing."),
            Alpha = o["lora_alpha"]?.GetValue<double>() ?? 8,
            Dropout = o["lora_dropout"]?.GetValue<double>() ?? 0,
            TargetModules = targets,
            BaseModelNameOrPath = o["base_model_name_or_path"] is JsonValue bv && bv.TryGetValue<string>(out var bm) ? bm : null,
        };
        cfg.Validate();
        return cfg;
    }

    public static LoraConfig Load(string dir)
    {
        var path = Path.Combine(dir, "adapter_config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"No adapter_config.json in {dir}.", path);
        try { return FromPeftJson(JsonNode.Parse(File.ReadAllText(path))!.AsObject(), path); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e); }
    }
}
