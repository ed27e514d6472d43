using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Runtime;

namespace Engine.Models.Lora;

/// <summary>
/// One safetensors file under any name (adapter_model.safetensors, optimizer.safetensors). Model folders
/// (model.safetensors, sharded indexes) go through CheckpointFolder; adapters and trainer state need a
/// chosen file name and a durable write (fsync), which this small reader/writer gives.
/// Format: u64 little-endian header length, JSON header {name: {dtype, shape, data_offsets}}, raw data.
/// </summary>
public static unsafe class SafetensorsFile
{
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.Select(kv => (kv.Key, T: kv.Value.To(Device.Cpu).Contiguous())).OrderBy(x => x.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var m = new JsonObject();
            foreach (var (k, v) in metadata) m[k] = v;
            header["__metadata__"] = m;
        }
        long at = 0;
        foreach (var (name, t) in list)
        {
            long n = t.NumElements * t.DType.SizeOf();
            header[name] = new JsonObject
            {
                ["dtype"] = t.DType.Name(),
                ["shape"] = new JsonArray(t.ShapeArray().Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(at, at + n),
            };
            at += n;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        fs.Write(len);
        fs.Write(json);
        for (int i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
        foreach (var (_, t) in list)
        {
            long n = t.NumElements * t.DType.SizeOf();
            var p = (byte*)t.RawPointer;
            for (long off = 0; off < n; off += int.MaxValue / 2)
                fs.Write(new ReadOnlySpan<byte>(p + off, (int)Math.Min(n - off, int.MaxValue / 2)));
        }
        fs.Flush(flushToDisk: true);
    }

    /// <summary>All tensors of the file, by name, as dense CPU tensors of their stored dtype.</summary>
    public static Dictionary<string, Tensor> Read(string path, out Dictionary<string, string> metadata)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No safetensors file at {path}.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: too short for a safetensors file.");
        var hlen = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (hlen <= 0 || 8 + hlen > bytes.Length) throw new InvalidDataException($"{path}: header length {hlen} does not fit the file ({bytes.Length} bytes).");
        JsonObject header;
        try { header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)hlen))!.AsObject(); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: header is not valid JSON: {e.Message}", e); }
        metadata = [];
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        long dataStart = 8 + hlen;
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject mo) foreach (var (k, v) in mo) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            var o = node!.AsObject();
            var dtype = DTypeExtensions.Parse(o["dtype"]!.GetValue<string>());
            var shape = o["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
            var offs = o["data_offsets"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();
            var t = Tensor.Empty(shape, dtype);
            long n = t.NumElements * dtype.SizeOf();
            if (offs[1] - offs[0] != n || dataStart + offs[1] > bytes.Length)
                throw new InvalidDataException($"{path}: tensor '{name}' {dtype} [{string.Join(", ", shape)}] has offsets {offs[0]}..{offs[1]}, which do not match its size or the file.");
            if (n > 0)
                fixed (byte* src = &bytes[dataStart + offs[0]])
                    Buffer.MemoryCopy(src, t.RawPointer, n, n);
            result[name] = t;
        }
        return result;
    }

    public static Dictionary<string, Tensor> Read(string path) => Read(path, out _);
}
