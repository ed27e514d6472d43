using System.Buffers.Binary;
using Engine.Runtime;

namespace Engine.Models.Checkpoints;

/// <summary>
/// Writes .safetensors files byte-for-byte as the reference library would for the same tensors:
/// tensors ordered by dtype (widest alignment first, in the reference enum's order), then by name;
/// offsets consecutive from 0; header padded with spaces to 8 bytes. Tensor bytes are streamed one
/// tensor at a time, and the file appears atomically (temp file, fsync, rename).
/// </summary>
public static unsafe class SafeTensorsWriter
{
    private const int ChunkBytes = 1 << 24;

    internal sealed record Planned(string Name, Tensor Tensor, string DType, long Begin, long End);

    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors data is little-endian; this host is not.");
        var planned = Plan(tensors);
        var header = SafeTensorsHeaderWriter.Build(
            planned.Select(p => new SafeTensorsHeaderWriter.Item(p.Name, p.DType, p.Tensor.ShapeArray(), p.Begin, p.End)).ToList(), metadata);
        long dataBytes = planned.Count == 0 ? 0 : planned[^1].End;

        AtomicFile.Write(path, fs =>
        {
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            fs.Write(prefix);
            fs.Write(header);
            foreach (var p in planned) WriteData(fs, p);
            long expected = 8 + header.Length + dataBytes;
            if (fs.Position != expected)
                throw new InvalidOperationException($"safetensors writer produced {fs.Position} bytes, expected {expected} (a tensor changed while being written?).");
        });
    }

    /// <summary>Validate names and order tensors the way the reference library does.</summary>
    internal static List<Planned> Plan(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var items = new List<(string Name, byte[] Key, Tensor T, SafeTensorsDTypes.Info Info)>();
        foreach (var (name, t) in tensors)
        {
            if (name is null) throw new ArgumentException("A tensor name is null.");
            ArgumentNullException.ThrowIfNull(t, $"tensor '{name}'");
            if (name == SafeTensorsHeaderParser.MetadataKey) throw new ArgumentException($"'{name}' is reserved for metadata and cannot name a tensor.");
            if (!seen.Add(name)) throw new ArgumentException($"Tensor name '{name}' appears twice.");
            items.Add((name, SafeTensorsHeaderWriter.Utf8(name, "Tensor name"), t, SafeTensorsDTypes.Of(t.DType)));
        }
        items.Sort((a, b) => a.Info.Rank != b.Info.Rank ? b.Info.Rank.CompareTo(a.Info.Rank) : Utf8Order.Instance.Compare(a.Key, b.Key));
        var planned = new List<Planned>(items.Count);
        long offset = 0;
        foreach (var it in items)
        {
            long bytes = checked(it.T.NumElements * it.T.DType.SizeOf());
            planned.Add(new Planned(it.Name, it.T, it.Info.Name, offset, offset + bytes));
            offset = checked(offset + bytes);
        }
        return planned;
    }

    private static void WriteData(Stream s, Planned p)
    {
        long bytes = p.End - p.Begin;
        if (bytes == 0) return;
        using var _ = Autograd.NoGrad();
        var t = p.Tensor.Device.IsCpu ? p.Tensor : p.Tensor.To(Device.Cpu);
        t = t.Contiguous(); // copies only a strided tensor, and only that one
        var ptr = (byte*)t.RawPointer;
        for (long off = 0; off < bytes; off += ChunkBytes)
            s.Write(new ReadOnlySpan<byte>(ptr + off, (int)Math.Min(ChunkBytes, bytes - off)));
        GC.KeepAlive(t);
    }
}
