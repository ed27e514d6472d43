using Engine.Models.Checkpoints;
using Engine.Runtime;
using static Engine.Tests.Checkpoints.SafeTensorsTestFiles;

namespace Engine.Tests.Checkpoints;

public class SafeTensorsRoundTripTests
{
    private static readonly Dictionary<DType, string> FormatName = new()
    {
        [DType.F32] = "F32", [DType.F64] = "F64", [DType.BF16] = "BF16", [DType.F16] = "F16",
        [DType.I32] = "I32", [DType.I64] = "I64", [DType.U8] = "U8",
    };

    private static readonly int[][] Shapes = [[3, 5, 7], [], [0, 4], [1], [2, 0, 3], [13], [1, 1, 1, 17]];

    private static Tensor Random(DType dtype, int[] shape, int seed)
    {
        var rng = new Random(seed);
        long n = 1; foreach (var d in shape) n *= d;
        return dtype switch
        {
            DType.I32 => Tensor.FromSpan<int>(Enumerable.Range(0, (int)n).Select(_ => rng.Next(int.MinValue, int.MaxValue)).ToArray(), shape),
            DType.I64 => Tensor.FromSpan<long>(Enumerable.Range(0, (int)n).Select(_ => rng.NextInt64(long.MinValue, long.MaxValue)).ToArray(), shape),
            DType.U8 => Tensor.FromSpan<byte>(Enumerable.Range(0, (int)n).Select(_ => (byte)rng.Next(256)).ToArray(), shape),
            _ => Tensor.RandN(shape, (ulong)seed, 3.0, dtype),
        };
    }

    [Fact]
    public void EveryDTypeAndOddShapeRoundTripsThroughLoadAndView()
    {
        using var dir = new TempDir();
        var path = dir.File("all.safetensors");
        var originals = new Dictionary<string, Tensor>();
        int seed = 1;
        foreach (var dtype in FormatName.Keys)
            foreach (var shape in Shapes)
                originals[$"{FormatName[dtype]}.{string.Join("x", shape)}"] = Random(dtype, shape, seed++);
        SafeTensorsWriter.Write(path, originals, new Dictionary<string, string> { ["format"] = "pt" });

        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(originals.Count, f.Entries.Count);
        Assert.Equal("pt", Assert.Single(f.Metadata).Value);
        foreach (var (name, t) in originals)
        {
            var e = f.Entry(name);
            Assert.Equal(FormatName[t.DType], e.DTypeName);
            Assert.Equal(t.DType, e.DType);
            Assert.Equal(t.ShapeArray(), e.Shape);
            Assert.Equal(t.NumElements * t.DType.SizeOf(), e.End - e.Begin);

            var loaded = f.Load(name);
            Assert.Equal(t.DType, loaded.DType);
            Assert.Equal(t.ShapeArray(), loaded.ShapeArray());
            Assert.Equal(RawBytes(t), RawBytes(loaded));

            var view = f.View(name);
            Assert.Equal(t.ShapeArray(), view.ShapeArray());
            Assert.Equal(RawBytes(t), RawBytes(view));
        }
        // Views point into the file: bytes at DataStart + Begin, not a copy.
        unsafe
        {
            var v = f.View("F32.3x5x7");
            var again = f.View("F32.3x5x7");
            Assert.True(v.RawPointer == again.RawPointer);
        }
    }

    [Fact]
    public void ViewOutlivesTheDisposedFile()
    {
        using var dir = new TempDir();
        var path = dir.File("v.safetensors");
        var values = new float[] { 1.25f, -3.5f, 7f, 0.5f, 9f };
        SafeTensorsWriter.Write(path, [new("w", Tensor.FromArray(values))]);

        var f = SafeTensorsFile.Open(path);
        var view = f.View("w");
        f.Dispose();
        Assert.Throws<ObjectDisposedException>(() => f.View("w"));
        Assert.Throws<ObjectDisposedException>(() => f.Load("w"));
        for (int i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        Assert.Equal(values, view.ToArray<float>());
        Assert.True(IsMapped(path) ?? true, "the view's mapping disappeared while the view was alive");
        view.Storage.Dispose();
        view.Storage.Dispose(); // releasing twice is harmless
        Assert.False(IsMapped(path) ?? false, "the mapping outlived the file and its last view");
    }

    [Fact]
    public void AFileDroppedWithoutDisposeIsUnmappedByTheCollector()
    {
        using var dir = new TempDir();
        var path = dir.File("leak.safetensors");
        SafeTensorsWriter.Write(path, [new("w", Tensor.FromArray(new float[] { 1, 2 }))]);
        OpenAndDrop(path);
        for (int i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        Assert.False(IsMapped(path) ?? false, "an undisposed, unreachable file kept its mapping");

        static void OpenAndDrop(string p) => Assert.Equal(2, SafeTensorsFile.Open(p).Load("w").NumElements);
    }

    /// <summary>Whether this process maps <paramref name="path"/> (Linux /proc), or null where unknown.</summary>
    private static bool? IsMapped(string path) =>
        File.Exists("/proc/self/maps") ? File.ReadAllText("/proc/self/maps").Contains(path, StringComparison.Ordinal) : null;

    [Fact]
    public void WritingIntoAViewLeavesTheFileUnchanged()
    {
        using var dir = new TempDir();
        var path = dir.File("cow.safetensors");
        SafeTensorsWriter.Write(path, [new("w", Tensor.FromArray(new float[] { 1, 2, 3 }))]);
        var before = File.ReadAllBytes(path);
        using (var f = SafeTensorsFile.Open(path))
        {
            var v = f.View("w");
            v.AsSpan<float>()[1] = 42;
            Assert.Equal(new float[] { 1, 42, 3 }, v.ToArray<float>());
            // The private page is shared by everything this open file hands out (documented on View).
            Assert.Equal(new float[] { 1, 42, 3 }, f.Load("w").ToArray<float>());
        }
        Assert.Equal(before, File.ReadAllBytes(path));
        using var reopened = SafeTensorsFile.Open(path);
        Assert.Equal(new float[] { 1, 2, 3 }, reopened.Load("w").ToArray<float>());
    }

    [Fact]
    public void LoadConvertsToTheRequestedDType()
    {
        using var dir = new TempDir();
        var path = dir.File("c.safetensors");
        // bf16 bit patterns written by hand: 0x3FC0 = 1.5, 0xC120 = -10, 0x3E80 = 0.25
        var bf16 = Tensor.FromArray(new BFloat16[] { new(0x3FC0), new(0xC120), new(0x3E80) });
        var f32 = Tensor.FromArray(new float[] { 1.5f, -10f, 0.25f, 3f });
        var i64 = Tensor.FromArray(new long[] { -5, 0, 1 << 20 });
        SafeTensorsWriter.Write(path, [new("bf16", bf16), new("f32", f32), new("i64", i64)]);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(new float[] { 1.5f, -10f, 0.25f }, f.Load("bf16", DType.F32).ToArray<float>());
        var asBf16 = f.Load("f32", DType.BF16);
        Assert.Equal(DType.BF16, asBf16.DType);
        Assert.Equal(new ushort[] { 0x3FC0, 0xC120, 0x3E80, 0x4040 }, asBf16.ToArray<ushort>());
        Assert.Equal(new double[] { -5, 0, 1 << 20 }, f.Load("i64", DType.F64).ToArray<double>());
    }

    [Fact]
    public void StridedAndScalarTensorsAreWrittenInLogicalOrder()
    {
        using var dir = new TempDir();
        var path = dir.File("s.safetensors");
        var x = Tensor.FromArray(new float[] { 0, 1, 2, 3, 4, 5 }, 2, 3);
        SafeTensorsWriter.Write(path, [new("t", x.Transpose(0, 1)), new("s", Tensor.Scalar(4.5, DType.F64))]);
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(new[] { 3, 2 }, f.Entry("t").Shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, f.Load("t").ToArray<float>());
        Assert.Empty(f.Entry("s").Shape);
        Assert.Equal(4.5, f.Load("s").Item());
    }

    [Fact]
    public void FormatDTypesEngineCannotHoldOpenButRefuseToLoad()
    {
        using var dir = new TempDir();
        var path = dir.File("i8.safetensors");
        File.WriteAllBytes(path, Assemble(
            "{\"q\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[0,4]},\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[4,6]},\"f\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[8,12]}}",
            [1, 0xFF, 2, 0x80, 1, 0, 0, 0, .. F32(6.5f)]));
        using var f = SafeTensorsFile.Open(path);
        Assert.Null(f.Entry("q").DType);
        Assert.Equal("I8", f.Entry("q").DTypeName);
        var ex = Assert.Throws<NotSupportedException>(() => f.Load("q"));
        Assert.Contains("'q'", ex.Message);
        Assert.Contains("I8", ex.Message);
        Assert.Contains("BOOL", Assert.Throws<NotSupportedException>(() => f.View("m")).Message);
        Assert.Equal(6.5, f.Load("f").Item());
        Assert.Throws<KeyNotFoundException>(() => f.Load("missing"));
    }

    [Fact]
    public void OverwritingAFileIsAtomicForReadersOfTheOldOne()
    {
        using var dir = new TempDir();
        var path = dir.File("w.safetensors");
        SafeTensorsWriter.Write(path, [new("w", Tensor.FromArray(new float[] { 1, 2 }))]);
        using var old = SafeTensorsFile.Open(path);
        var oldView = old.View("w");
        SafeTensorsWriter.Write(path, [new("w", Tensor.FromArray(new float[] { 7, 8, 9 }))]);
        Assert.Equal(new float[] { 1, 2 }, oldView.ToArray<float>());
        using var fresh = SafeTensorsFile.Open(path);
        Assert.Equal(new float[] { 7, 8, 9 }, fresh.Load("w").ToArray<float>());
        Assert.Equal(["w.safetensors"], Directory.GetFiles(dir.Path).Select(Path.GetFileName)); // no temp files left
    }

    [Fact]
    public void WriterRefusesBadNames()
    {
        using var dir = new TempDir();
        var t = Tensor.FromArray(new float[] { 1 });
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(dir.File("a"), [new("x", t), new("x", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(dir.File("b"), [new("__metadata__", t)]));
        Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(dir.File("c"), [new("bad\ud800", t)]));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
