using System.Buffers.Binary;
using System.Collections.ObjectModel;
using Engine.Runtime;

namespace Engine.Models.Checkpoints;

/// <summary>
/// A memory-mapped .safetensors file. <see cref="Open"/> validates the whole header first, so every
/// entry exposed is known to lie inside the file with a size that matches its shape and dtype.
/// </summary>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    /// <summary>The reference library refuses larger headers; so do we.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private readonly MappedFile _map;
    private readonly long _dataStart;

    public string Path { get; }
    public IReadOnlyDictionary<string, TensorEntry> Entries { get; }
    /// <summary>The header's "__metadata__" (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public long FileLength => _map.Length;
    /// <summary>Where the data section starts: 8 + header length.</summary>
    public long DataStart => _dataStart;

    private SafeTensorsFile(string path, MappedFile map, long dataStart, SafeTensorsHeaderParser.Result header)
    {
        Path = path; _map = map; _dataStart = dataStart;
        Entries = new ReadOnlyDictionary<string, TensorEntry>(header.Entries);
        Metadata = new ReadOnlyDictionary<string, string>(header.Metadata ?? new Dictionary<string, string>());
    }

    public static SafeTensorsFile Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.RandomAccess);
        MappedFile? map = null;
        try
        {
            long length = stream.Length;
            if (length < 8)
                throw Fail(full, $"file is {length} bytes, shorter than the 8-byte header length prefix");
            Span<byte> prefix = stackalloc byte[8];
            stream.ReadExactly(prefix);
            ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (n == 0)
                throw Fail(full, "header length is 0; the header must be a JSON object (at least '{}')");
            if (n > (ulong)(length - 8))
                throw Fail(full, $"header length {n} is larger than the {length - 8} bytes that follow the length prefix");
            if (n > MaxHeaderBytes)
                throw Fail(full, $"header length {n} exceeds the {MaxHeaderBytes}-byte limit");

            map = MappedFile.Map(stream, length);
            long dataStart = 8 + (long)n;
            var header = SafeTensorsHeaderParser.Parse(new ReadOnlySpan<byte>(map.Base + 8, (int)n), length - dataStart, full);
            return new SafeTensorsFile(full, map, dataStart, header);
        }
        catch
        {
            if (map is not null) map.Dispose(); else stream.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => Entries.ContainsKey(name);

    public TensorEntry Entry(string name) =>
        Entries.TryGetValue(name, out var e) ? e
        : throw new KeyNotFoundException($"Tensor '{name}' is not in '{Path}' ({Entries.Count} tensors).");

    /// <summary>A copy in native memory, converted to <paramref name="convertTo"/> when given.</summary>
    public Tensor Load(string name, DType? convertTo = null)
    {
        var e = Entry(name);
        var from = EngineType(e);
        var to = convertTo ?? from;
        using var lease = _map.Lease(); // the mapping must outlive the copy even if Dispose races it
        var t = Tensor.Empty(e.Shape, to);
        if (t.NumElements == 0) return t;
        try { DTypeConvert.Convert(_map.Base + _dataStart + e.Begin, from, t.RawPointer, to, t.NumElements); }
        catch (OverflowException ex)
        {
            t.Storage.Dispose();
            throw new InvalidOperationException($"Tensor '{name}' in '{Path}': a value does not fit when converting {from} to {to}.", ex);
        }
        return t;
    }

    /// <summary>
    /// A zero-copy tensor over the mapped file. It keeps the mapping alive on its own, so it stays valid
    /// after this file is disposed. The mapping is copy-on-write: writing into a view never changes the
    /// file on disk, but later View/Load calls on this same opened file see the written values.
    /// </summary>
    public Tensor View(string name)
    {
        var e = Entry(name);
        var dtype = EngineType(e);
        var lease = _map.Lease();
        try
        {
            var storage = Storage.Wrap(_map.Base + _dataStart + e.Begin, e.ByteLength, Device.Cpu, lease);
            return Tensor.FromStorage(storage, dtype, e.Shape);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    private DType EngineType(TensorEntry e) =>
        e.DType ?? throw new NotSupportedException(
            $"Tensor '{e.Name}' in '{Path}' has dtype {e.DTypeName}, which Engine cannot hold (supported: F32, F64, F16, BF16, I32, I64, U8).");

    public void Dispose() => _map.Dispose();

    private static SafeTensorsFormatException Fail(string file, string rule) => new(file, null, rule);

    public override string ToString() => $"SafeTensorsFile({Path}, {Entries.Count} tensors)";
}
