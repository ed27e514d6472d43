using Engine.Models.Checkpoints;
using System.Text.Json.Nodes;
using Engine.Models.Config;
using Engine.Models.Lora;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Tests.Training;

public class LoraTests
{
    public static ModelConfig Tiny(int vocab = 13) => ModelConfig.FromJson(new JsonObject
    {
        ["model_type"] = "qwen2", ["hidden_size"] = 12, ["intermediate_size"] = 20, ["num_hidden_layers"] = 2,
        ["num_attention_heads"] = 3, ["num_key_value_heads"] = 1, ["vocab_size"] = vocab, ["rms_norm_eps"] = 1e-6, ["initializer_range"] = 0.3,
    });

    public static string TempDir() => Path.Combine(Path.GetTempPath(), "engine-train-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void KeysAndShapesFollowPeft()
    {
        var model = TransformerModel.CreateRandom(Tiny(), 1);
        var lora = LoraModel.Apply(model, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "down_proj"] }, seed: 2);
        var p = lora.Parameters;
        Assert.Equal(2 * 3 * 2, p.Count);
        // q_proj: in 12, out 3 heads × 4 = 12; v_proj: out 1 × 4 = 4; down_proj: in 20, out 12.
        Assert.Equal([4, 12], p["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].ShapeArray());
        Assert.Equal([12, 4], p["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"].ShapeArray());
        Assert.Equal([4, 4], p["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"].ShapeArray());
        Assert.Equal([4, 20], p["base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"].ShapeArray());
        Assert.DoesNotContain(p.Keys, k => k.Contains("k_proj") || k.Contains("o_proj"));
        // Base frozen, adapters trainable; B starts at zero; A within kaiming-uniform(a=√5) bounds ±1/√in and not constant.
        Assert.All(model.Parameters.Values, t => Assert.False(t.RequiresGrad));
        Assert.All(p.Values, t => Assert.True(t.RequiresGrad));
        Assert.All(p.Where(kv => kv.Key.Contains("lora_B")), kv => Assert.All(kv.Value.ToDoubleArray(), v => Assert.Equal(0, v)));
        var a = p["base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"].ToDoubleArray();
        Assert.All(a, v => Assert.InRange(Math.Abs(v), 0, 1 / Math.Sqrt(20)));
        Assert.True(a.Max() - a.Min() > 0.2 / Math.Sqrt(20));

        var all = LoraModel.Apply(TransformerModel.CreateRandom(Tiny(), 1), new LoraConfig { TargetModules = ["all-linear"] });
        Assert.Equal(2 * 7 * 2, all.Parameters.Count);
        Assert.Throws<ArgumentException>(() => LoraModel.Apply(TransformerModel.CreateRandom(Tiny(), 1), new LoraConfig { TargetModules = ["qkv"] }));
    }

    private static void Randomise(LoraModel lora, ulong seed)
    {
        foreach (var (name, t) in lora.Parameters)
            Tensor.RandN(t.Shape, seed + (ulong)name.Length * 31, 0.2).CopyTo(t);
    }

    [Fact]
    public void SaveLoadRoundTripWritesThePeftFiles()
    {
        var model = TransformerModel.CreateRandom(Tiny(), 1);
        var lora = LoraModel.Apply(model, new LoraConfig { Rank = 2, Alpha = 6, Dropout = 0.05, TargetModules = ["q_proj", "up_proj"] });
        Randomise(lora, 9);
        var dir = TempDir();
        try
        {
            lora.Save(dir, "some/base");
            var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json")))!.AsObject();
            Assert.Equal("LORA", cfg["peft_type"]!.GetValue<string>());
            Assert.Equal("CAUSAL_LM", cfg["task_type"]!.GetValue<string>());
            Assert.Equal(2, cfg["r"]!.GetValue<int>());
            Assert.Equal(6, cfg["lora_alpha"]!.GetValue<double>());
            Assert.Equal(0.05, cfg["lora_dropout"]!.GetValue<double>());
            Assert.Equal("none", cfg["bias"]!.GetValue<string>());
            Assert.False(cfg["fan_in_fan_out"]!.GetValue<bool>());
            Assert.Equal("some/base", cfg["base_model_name_or_path"]!.GetValue<string>());
            Assert.Equal(["q_proj", "up_proj"], cfg["target_modules"]!.AsArray().Select(x => x!.GetValue<string>()));
            var saved = SafeTensorsDictionary.ReadAll(Path.Combine(dir, "adapter_model.safetensors"));
            Assert.Equal(lora.Parameters.Keys.Order(), saved.Keys.Order());

            var other = LoraModel.Load(TransformerModel.CreateRandom(Tiny(), 1), dir);
            Assert.Equal(2, other.Config.Rank); Assert.Equal(0.05, other.Config.Dropout);
            foreach (var (k, t) in lora.Parameters) Assert.Equal(t.ToArray<float>(), other.Parameters[k].ToArray<float>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void MergedLayerComputesWhatTheAdaptedLayerDid()
    {
        var model = TransformerModel.CreateRandom(Tiny(), 4);
        var lora = LoraModel.Apply(model, new LoraConfig { Rank = 3, Alpha = 5, TargetModules = ["all-linear"] });
        Randomise(lora, 11);
        var lin = model.Layers[1].Gate;
        var x = Tensor.RandN([2, 5, 12], 77);
        using var _ = Autograd.NoGrad();
        var adapted = lin.Forward(x).ToDoubleArray();
        var baseOnly = Ops.Linear(x, lin.Weight).ToDoubleArray();
        // Independent expectation: x·Wᵀ + (α/r)·x·Aᵀ·Bᵀ with loops.
        var a = lora.Layers.First(l => ReferenceEquals(l.Target, lin));
        var A = a.A.ToDoubleArray(); var B = a.B.ToDoubleArray(); var X = x.ToDoubleArray();
        int n = 10, inF = 12, outF = 20, r = 3;
        for (int row = 0; row < n; row++)
            for (int o = 0; o < outF; o++)
            {
                double d = 0;
                for (int k = 0; k < r; k++)
                {
                    double ax = 0;
                    for (int i = 0; i < inF; i++) ax += A[k * inF + i] * X[row * inF + i];
                    d += B[o * r + k] * ax;
                }
                Assert.Equal(baseOnly[row * outF + o] + 5.0 / 3 * d, adapted[row * outF + o], 4);
            }
        lora.MergeAndUnload();
        Assert.Null(lin.Adapter);
        var merged = lin.Forward(x).ToDoubleArray();
        for (int i = 0; i < merged.Length; i++) Assert.Equal(adapted[i], merged[i], 4);
    }

    [Fact]
    public void DisablingAdaptersGivesTheBaseLayer()
    {
        var model = TransformerModel.CreateRandom(Tiny(), 4);
        var lora = LoraModel.Apply(model, new LoraConfig { Rank = 2, TargetModules = ["o_proj"] });
        Randomise(lora, 3);
        var lin = model.Layers[0].O;
        var x = Tensor.RandN([3, 12], 5);
        using var _ = Autograd.NoGrad();
        var on = lin.Forward(x).ToDoubleArray();
        using (lora.DisableAdapters())
            Assert.Equal(Ops.Linear(x, lin.Weight).ToDoubleArray(), lin.Forward(x).ToDoubleArray());
        Assert.Equal(on, lin.Forward(x).ToDoubleArray());
        Assert.NotEqual(on, Ops.Linear(x, lin.Weight).ToDoubleArray());
    }

    [Fact]
    public void MergedModelFolderAndReloadedAdapterGiveTheAdaptedLogits()
    {
        var model = TransformerModel.CreateRandom(Tiny(), 8);
        var lora = LoraModel.Apply(model, new LoraConfig { Rank = 2, Alpha = 7, TargetModules = ["all-linear"] });
        Randomise(lora, 21);
        var ids = Tensor.FromArray(new long[] { 1, 4, 9, 2, 12, 7, 3, 5 }, 2, 4);
        float[] adapted, baseLogits;
        using (Autograd.NoGrad())
        {
            adapted = model.Forward(ids).ToArray<float>();
            using (lora.DisableAdapters()) baseLogits = model.Forward(ids).ToArray<float>();
        }
        Assert.NotEqual(adapted, baseLogits);
        var merged = TempDir(); var adapterDir = TempDir();
        try
        {
            var trainable = new Engine.Methods.Training.TrainableModel(model, lora, "base");
            trainable.SaveFinal(merged, Engine.Methods.Training.FinalSaveMode.Merged);
            trainable.SaveFinal(adapterDir, Engine.Methods.Training.FinalSaveMode.Adapter);
            using var _ = Autograd.NoGrad();
            // The live model is untouched by saving a merged copy.
            Assert.Equal(adapted, model.Forward(ids).ToArray<float>());
            var fromMerged = TransformerModel.Load(merged).Forward(ids).ToDoubleArray();
            var fresh = TransformerModel.CreateRandom(Tiny(), 8);
            LoraModel.Load(fresh, adapterDir);
            var fromAdapter = fresh.Forward(ids).ToDoubleArray();
            for (int i = 0; i < adapted.Length; i++)
            {
                Assert.Equal(adapted[i], fromMerged[i], 4);
                Assert.Equal(adapted[i], fromAdapter[i], 5);
            }
        }
        finally { Directory.Delete(merged, true); Directory.Delete(adapterDir, true); }
    }
}
