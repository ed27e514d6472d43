using System.Text;

namespace Engine.Models.Checkpoints.Gguf;

/// <summary>
/// Writes a GGUF v3 file (the llama.cpp / ggml container): a header of typed key-value metadata and tensor descriptions,
/// then the tensor data, each tensor aligned to <see cref="Alignment"/> bytes. Only f32 tensors, which is all a
/// same-weights comparison needs. Tensors are written one at a time from a callback, so a model never sits in memory twice.
/// </summary>
/// <remarks>GGUF lists a tensor's dimensions innermost first (ggml's ne[0] is the row length), the reverse of the
/// row-major shape the rest of Engine uses; <see cref="AddTensor"/> takes the row-major shape and reverses it.</remarks>
public sealed class GgufWriter
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian u32
    public const uint Version = 3;
    public const int Alignment = 32; // llama.cpp's default when general.alignment is absent
    public const uint TypeF32 = 0;   // ggml_type GGML_TYPE_F32

    /// <summary>GGUF metadata value types (gguf_type).</summary>
    public enum ValueType : uint { U32 = 4, I32 = 5, F32 = 6, Bool = 7, String = 8, Array = 9, U64 = 10 }

    private readonly List<(string Key, ValueType Type, Action<BinaryWriter> Write)> _kv = [];
    private readonly List<(string Name, long[] Shape, Func<float[]> Data)> _tensors = [];

    public void Add(string key, string value) => _kv.Add((key, ValueType.String, w => WriteString(w, value)));
    public void Add(string key, uint value) => _kv.Add((key, ValueType.U32, w => w.Write(value)));
    public void Add(string key, float value) => _kv.Add((key, ValueType.F32, w => w.Write(value)));
    public void Add(string key, bool value) => _kv.Add((key, ValueType.Bool, w => w.Write((byte)(value ? 1 : 0))));

    /// <summary>Adds an f32 tensor of row-major <paramref name="shape"/>; <paramref name="data"/> is called once, while writing.</summary>
    public void AddTensor(string name, long[] shape, Func<float[]> data)
    {
        if (shape.Length is 0 or > 4) throw new ArgumentException($"GGUF tensor '{name}': 1 to 4 dimensions, got {shape.Length}.");
        if (_tensors.Any(t => t.Name == name)) throw new ArgumentException($"GGUF tensor '{name}' added twice.");
        _tensors.Add((name, shape, data));
    }

    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write(Magic);
        w.Write(Version);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_kv.Count);
        foreach (var (key, type, write) in _kv) { WriteString(w, key); w.Write((uint)type); write(w); }
        long offset = 0;
        foreach (var (name, shape, _) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)shape.Length);
            for (int d = shape.Length - 1; d >= 0; d--) w.Write((ulong)shape[d]);
            w.Write(TypeF32);
            w.Write((ulong)offset);
            offset = Align(offset + 4 * Elements(shape));
        }
        Pad(w);
        long dataStart = stream.Position;
        foreach (var (name, shape, data) in _tensors)
        {
            var values = data();
            if (values.LongLength != Elements(shape))
                throw new InvalidOperationException($"GGUF tensor '{name}': {values.LongLength} values for shape [{string.Join(", ", shape)}].");
            foreach (var v in values) w.Write(v);
            Pad(w);
        }
        if (stream.Position - dataStart != offset) throw new InvalidOperationException("GGUF data section length does not match the offsets written.");
    }

    private static long Elements(long[] shape) => shape.Aggregate(1L, (a, b) => a * b);
    private static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        long pos = w.BaseStream.Position;
        for (long i = pos; i < Align(pos); i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
