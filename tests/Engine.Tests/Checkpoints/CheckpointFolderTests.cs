using System.Text.Json;
using Engine.Models.Checkpoints;
using Engine.Runtime;
using static Engine.Tests.Checkpoints.SafeTensorsTestFiles;

namespace Engine.Tests.Checkpoints;

public class CheckpointFolderTests
{
    private static KeyValuePair<string, Tensor> F32(string name, int n, ulong seed) => new(name, Tensor.RandN([n], seed));

    [Fact]
    public void SmallCheckpointIsOneFileWithoutIndex()
    {
        using var dir = new TempDir();
        var tensors = new[] { F32("b.weight", 5, 1), F32("a.weight", 3, 2) };
        CheckpointFolder.Save(dir.Path, tensors, metadata: new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(["model.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
        using var ckpt = CheckpointFolder.Open(dir.Path);
        Assert.False(ckpt.IsSharded);
        Assert.Equal(["a.weight", "b.weight"], ckpt.Names.Order());
        foreach (var (name, t) in tensors) Assert.Equal(t.ToArray<float>(), ckpt.Load(name).ToArray<float>());
        Assert.Equal("pt", ckpt.Files[0].Metadata["format"]);
    }

    [Fact]
    public void ShardedRoundTripFollowsTransformersLayout()
    {
        using var dir = new TempDir();
        // Sizes in bytes: 40, 40, 24, 200 (over the limit: a shard of its own), 8, 80, 2·7 (bf16).
        var tensors = new[]
        {
            F32("layers.0.q", 10, 1), F32("layers.0.k", 10, 2), F32("layers.0.v", 6, 3), F32("embed", 50, 4),
            F32("layers.1.q", 2, 5), F32("layers.1.k", 20, 6), new("norm", Tensor.RandN([7], 7, dtype: DType.BF16)),
        };
        CheckpointFolder.Save(dir.Path, tensors, maxShardBytes: 100);

        // Greedy in the given order, a new shard when the next tensor would pass 100 bytes:
        // [q,k] = 80 (+v would be 104), [v] (+embed 224), [embed], [layers.1.q, layers.1.k] = 88 (+norm 102), [norm]
        var expected = new Dictionary<string, string>
        {
            ["layers.0.q"] = "model-00001-of-00005.safetensors", ["layers.0.k"] = "model-00001-of-00005.safetensors",
            ["layers.0.v"] = "model-00002-of-00005.safetensors", ["embed"] = "model-00003-of-00005.safetensors",
            ["layers.1.q"] = "model-00004-of-00005.safetensors", ["layers.1.k"] = "model-00004-of-00005.safetensors",
            ["norm"] = "model-00005-of-00005.safetensors",
        };
        var files = Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(expected.Values.Distinct().Append("model.safetensors.index.json").Order(), files);

        using (var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir.Path, "model.safetensors.index.json"))))
        {
            Assert.Equal(40 + 40 + 24 + 200 + 8 + 80 + 14, doc.RootElement.GetProperty("metadata").GetProperty("total_size").GetInt64());
            var map = doc.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            Assert.Equal(expected.OrderBy(kv => kv.Key), map.OrderBy(kv => kv.Key));
        }

        using var ckpt = CheckpointFolder.Open(dir.Path);
        Assert.True(ckpt.IsSharded);
        Assert.Equal(5, ckpt.Files.Count);
        Assert.Equal(expected.Keys.Order(), ckpt.Names.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.True(ckpt.Contains(name));
            Assert.Equal(t.ShapeArray(), ckpt.Entry(name).Shape);
            Assert.Equal(RawBytes(t), RawBytes(ckpt.Load(name)));
            Assert.Equal(RawBytes(t), RawBytes(ckpt.View(name)));
        }
        Assert.False(ckpt.Contains("nope"));
        Assert.Throws<KeyNotFoundException>(() => ckpt.Load("nope"));
    }

    [Fact]
    public void IndexTextMatchesPythonJsonDumpsIndent2SortKeys()
    {
        using var dir = new TempDir();
        CheckpointFolder.Save(dir.Path, [F32("b", 4, 1), F32("a", 4, 2), F32("é", 1, 3)], maxShardBytes: 16);
        var expected =
            "{\n  \"metadata\": {\n    \"total_size\": 36\n  },\n  \"weight_map\": {\n" +
            "    \"a\": \"model-00002-of-00003.safetensors\",\n" +
            "    \"b\": \"model-00001-of-00003.safetensors\",\n" +
            "    \"\\u00e9\": \"model-00003-of-00003.safetensors\"\n  }\n}\n";
        Assert.Equal(expected, File.ReadAllText(Path.Combine(dir.Path, "model.safetensors.index.json")));
    }

    [Fact]
    public void ResavingReplacesStaleWeightFiles()
    {
        using var dir = new TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), "{}");
        CheckpointFolder.Save(dir.Path, [F32("a", 10, 1), F32("b", 10, 2), F32("c", 10, 3)], maxShardBytes: 40);
        Assert.Equal(4, Directory.GetFiles(dir.Path, "model*").Length);
        CheckpointFolder.Save(dir.Path, [F32("a", 10, 4)]);
        Assert.Equal(["config.json", "model.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
        CheckpointFolder.Save(dir.Path, [F32("a", 10, 1), F32("b", 10, 2)], maxShardBytes: 40);
        Assert.Equal(["config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"],
            Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
        using var ckpt = CheckpointFolder.Open(dir.Path);
        Assert.True(ckpt.IsSharded);
    }

    private static string ShardedWithIndex(TempDir dir, string indexJson)
    {
        CheckpointFolder.Save(dir.Path, [F32("a", 4, 1), F32("b", 4, 2)], maxShardBytes: 16);
        File.WriteAllText(Path.Combine(dir.Path, "model.safetensors.index.json"), indexJson);
        return Path.Combine(dir.Path, "model.safetensors.index.json");
    }

    [Theory]
    [InlineData("{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00009-of-00009.safetensors\"}}", "b", "shard 'model-00009-of-00009.safetensors' does not exist")]
    [InlineData("{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00001-of-00002.safetensors\"}}", "b", "which has no such tensor")]
    [InlineData("{\"weight_map\":{\"a\":\"../model-00001-of-00002.safetensors\"}}", "a", "is not a plain file name")]
    [InlineData("{\"weight_map\":{\"a\":\"/etc/passwd\"}}", "a", "is not a plain file name")]
    [InlineData("{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"a\":\"model-00001-of-00002.safetensors\"}}", "a", "listed twice")]
    [InlineData("{\"weight_map\":[\"a\"]}", null, "'weight_map' must be an object")]
    [InlineData("{\"weight_map\":{\"a\":1}}", "a", "must be a shard file name")]
    [InlineData("{\"metadata\":{}}", null, "missing 'weight_map'")]
    [InlineData("{\"weight_map\":{", null, "not valid JSON")]
    public void BadIndexIsRefusedWithASpecificMessage(string indexJson, string? tensor, string rule)
    {
        using var dir = new TempDir();
        var index = ShardedWithIndex(dir, indexJson);
        var ex = Assert.Throws<SafeTensorsFormatException>(() => CheckpointFolder.Open(dir.Path));
        Assert.Contains(index, ex.Message);
        Assert.Contains(rule, ex.Message);
        Assert.Equal(tensor, ex.TensorName);
    }

    [Fact]
    public void HostileShardIsRefusedThroughTheFolder()
    {
        using var dir = new TempDir();
        ShardedWithIndex(dir, "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\",\"b\":\"model-00002-of-00002.safetensors\"}}");
        File.WriteAllBytes(Path.Combine(dir.Path, "model-00002-of-00002.safetensors"), Assemble("[]", []));
        var ex = Assert.Throws<SafeTensorsFormatException>(() => CheckpointFolder.Open(dir.Path));
        Assert.Contains("model-00002-of-00002.safetensors", ex.Message);
    }

    [Fact]
    public void FolderWithoutWeightsSaysWhatIsMissing()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<FileNotFoundException>(() => CheckpointFolder.Open(dir.Path));
        Assert.Contains("model.safetensors.index.json", ex.Message);
        Assert.Throws<ArgumentException>(() => CheckpointFolder.Save(dir.Path, [F32("a", 1, 1), F32("a", 1, 2)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointFolder.Save(dir.Path, [F32("a", 1, 1)], maxShardBytes: 0));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
