using System.Text;
using Engine.Models.Checkpoints;
using Engine.Models.Checkpoints.Gguf;
using Engine.Runtime;
using Engine.Tests.Models;

namespace Engine.Tests.Checkpoints;

/// <summary>
/// The GGUF export read back by a reader written here from the format's description (not by the writer's code):
/// header, typed metadata, tensor descriptions with llama.cpp's names, innermost-first dimensions and aligned offsets,
/// and the tensor bytes equal to the safetensors checkpoint's.
/// </summary>
public class GgufExportTests
{
    private sealed record Info(string Name, ulong[] Dims, uint Type, ulong Offset);

    private sealed class Parsed
    {
        public uint Version;
        public Dictionary<string, object> Kv = [];
        public List<Info> Tensors = [];
        public long DataStart;
        public byte[] Bytes = [];

        public float[] Data(Info t)
        {
            long n = t.Dims.Aggregate(1L, (a, d) => a * (long)d);
            var f = new float[n];
            Buffer.BlockCopy(Bytes, checked((int)(DataStart + (long)t.Offset)), f, 0, checked((int)(4 * n)));
            return f;
        }
    }

    private static Parsed Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var r = new BinaryReader(new MemoryStream(bytes));
        string Str() => Encoding.UTF8.GetString(r.ReadBytes(checked((int)r.ReadUInt64())));
        Assert.Equal("GGUF"u8.ToArray(), r.ReadBytes(4));
        var p = new Parsed { Version = r.ReadUInt32(), Bytes = bytes };
        ulong nTensors = r.ReadUInt64(), nKv = r.ReadUInt64();
        for (ulong i = 0; i < nKv; i++)
        {
            string key = Str();
            uint type = r.ReadUInt32();
            p.Kv[key] = type switch { 4 => r.ReadUInt32(), 6 => r.ReadSingle(), 7 => r.ReadByte() != 0, 8 => Str(), _ => throw new InvalidDataException($"type {type}") };
        }
        for (ulong i = 0; i < nTensors; i++)
        {
            string name = Str();
            var dims = new ulong[r.ReadUInt32()];
            for (int d = 0; d < dims.Length; d++) dims[d] = r.ReadUInt64();
            p.Tensors.Add(new Info(name, dims, r.ReadUInt32(), r.ReadUInt64()));
        }
        p.DataStart = (r.BaseStream.Position + 31) / 32 * 32;
        return p;
    }

    [Fact]
    public void Qwen2CheckpointRoundTripsThroughGguf()
    {
        var dir = TransformerParityTests.FixtureDir("qwen2_bias");
        var path = Path.Combine(Path.GetTempPath(), $"gguf-{Guid.NewGuid():N}.gguf");
        try
        {
            GgufExport.FromCheckpoint(dir, path);
            var g = Read(path);
            Assert.Equal(3u, g.Version);
            Assert.Equal("qwen2", g.Kv["general.architecture"]);
            Assert.Equal("none", g.Kv["tokenizer.ggml.model"]);
            Assert.Equal(32u, g.Kv["qwen2.embedding_length"]);
            Assert.Equal(2u, g.Kv["qwen2.block_count"]);
            Assert.Equal(48u, g.Kv["qwen2.feed_forward_length"]);
            Assert.Equal(4u, g.Kv["qwen2.attention.head_count"]);
            Assert.Equal(2u, g.Kv["qwen2.attention.head_count_kv"]);
            Assert.Equal(101u, g.Kv["qwen2.vocab_size"]);
            Assert.Equal(1e6f, g.Kv["qwen2.rope.freq_base"]);
            Assert.Equal(1e-6f, g.Kv["qwen2.attention.layer_norm_rms_epsilon"]);

            // 2 (embeddings, final norm) + 12 per layer (2 norms, q/k/v weight+bias, o, gate, up, down) + lm head.
            Assert.Equal(3 + 2 * 12, g.Tensors.Count);
            Assert.Equal(g.Tensors.Count, g.Tensors.Select(t => t.Name).Distinct().Count());
            long end = 0;
            foreach (var t in g.Tensors)
            {
                Assert.Equal(0u, t.Type); // f32
                Assert.Equal(0ul, t.Offset % 32);
                Assert.True((long)t.Offset >= end, $"{t.Name} overlaps the tensor before it");
                end = (long)t.Offset + 4 * t.Dims.Aggregate(1L, (a, d) => a * (long)d);
            }
            Assert.True(g.DataStart + end <= g.Bytes.Length);

            using var ckpt = CheckpointFolder.Open(dir);
            var byName = g.Tensors.ToDictionary(t => t.Name);
            foreach (var (gguf, hf) in new[]
            {
                ("token_embd.weight", "model.embed_tokens.weight"), ("output.weight", "lm_head.weight"), ("output_norm.weight", "model.norm.weight"),
                ("blk.1.attn_k.weight", "model.layers.1.self_attn.k_proj.weight"), ("blk.1.attn_k.bias", "model.layers.1.self_attn.k_proj.bias"),
                ("blk.0.attn_q.weight", "model.layers.0.self_attn.q_proj.weight"), ("blk.0.attn_output.weight", "model.layers.0.self_attn.o_proj.weight"),
                ("blk.0.ffn_down.weight", "model.layers.0.mlp.down_proj.weight"), ("blk.1.ffn_gate.weight", "model.layers.1.mlp.gate_proj.weight"),
                ("blk.1.ffn_norm.weight", "model.layers.1.post_attention_layernorm.weight"),
            })
            {
                var shape = ckpt.Entry(hf).Shape;
                Assert.Equal(shape.Reverse().Select(d => (ulong)d).ToArray(), byName[gguf].Dims); // ggml: innermost first
                Assert.Equal(ckpt.Load(hf, DType.F32).ToFloatArray(), g.Data(byName[gguf]));
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void LlamaCheckpointsAreRefusedNotWrittenWithTheWrongRope()
    {
        var path = Path.Combine(Path.GetTempPath(), $"gguf-{Guid.NewGuid():N}.gguf");
        var e = Assert.Throws<NotSupportedException>(() => GgufExport.FromCheckpoint(TransformerParityTests.FixtureDir("llama_gqa_tied"), path));
        Assert.Contains("model_type 'llama'", e.Message);
        Assert.False(File.Exists(path));
    }
}
