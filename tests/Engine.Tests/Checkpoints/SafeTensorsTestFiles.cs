using System.Buffers.Binary;
using System.Text;
using Engine.Runtime;

namespace Engine.Tests.Checkpoints;

/// <summary>A temporary folder per test, and files assembled by hand from the format specification.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("engine-st-").FullName;
    public string File(string name) => System.IO.Path.Combine(Path, name);
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

public static unsafe class SafeTensorsTestFiles
{
    /// <summary>8-byte little-endian length (or <paramref name="lengthPrefix"/>), header bytes, data bytes.</summary>
    public static byte[] Assemble(byte[] header, byte[] data, ulong? lengthPrefix = null)
    {
        var file = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, lengthPrefix ?? (ulong)header.Length);
        header.CopyTo(file, 8);
        data.CopyTo(file, 8 + header.Length);
        return file;
    }

    public static byte[] Assemble(string headerJson, byte[] data, ulong? lengthPrefix = null) =>
        Assemble(Encoding.UTF8.GetBytes(headerJson), data, lengthPrefix);

    /// <summary>Little-endian bytes of floats, written one by one (independent of Tensor storage).</summary>
    public static byte[] F32(params float[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), v[i]);
        return b;
    }

    /// <summary>The dense bytes of a contiguous host tensor.</summary>
    public static byte[] RawBytes(Tensor t)
    {
        var c = t.Contiguous();
        return new ReadOnlySpan<byte>(c.RawPointer, checked((int)(c.NumElements * c.DType.SizeOf()))).ToArray();
    }
}
