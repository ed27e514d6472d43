using Engine.Models.Checkpoints;
using Engine.Runtime;

namespace Engine.Tests.Checkpoints;

/// <summary>
/// tests/fixtures/safetensors/hand_built.safetensors was written by make_fixture.py with Python's
/// struct and json modules only: spaced JSON, unsorted keys, unaligned data, a different field order.
/// The values below are the ones the script packs.
/// </summary>
public class HandBuiltFixtureTests
{
    private static string FixturePath()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "tests", "fixtures"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? throw new DirectoryNotFoundException("tests/fixtures not found above the test binary"),
            "tests", "fixtures", "safetensors", "hand_built.safetensors");
    }

    [Fact]
    public void IndependentlyWrittenFileReadsCorrectly()
    {
        using var f = SafeTensorsFile.Open(FixturePath());
        Assert.Equal(8 + 606, f.DataStart); // not a multiple of 8: views are unaligned
        Assert.Equal("pt", f.Metadata["format"]);
        Assert.Equal("make_fixture.py", f.Metadata["source"]);
        Assert.Equal(8, f.Entries.Count);

        Assert.Equal(new[] { 2, 3 }, f.Entry("model.embed.weight").Shape);
        Assert.Equal(new float[] { 1.5f, -2.0f, 0.25f, 3.0f, -0.125f, 1e-3f }, f.Load("model.embed.weight").ToArray<float>());
        Assert.Equal(new float[] { 1.5f, -2.0f, 0.25f, 3.0f, -0.125f, 1e-3f }, f.View("model.embed.weight").ToArray<float>());
        Assert.Empty(f.Entry("scale").Shape);
        Assert.Equal(2.718281828459045, f.Load("scale").Item());
        Assert.Equal(new long[] { -7, 0, 1L << 40 }, f.Load("ids").ToArray<long>());
        Assert.Equal(new[] { (Half)0.5, (Half)(-65504.0) }, f.View("h").ToArray<Half>());
        Assert.Equal(new float[] { 1.5f, -10f }, f.Load("b", DType.F32).ToArray<float>());
        Assert.Equal(new byte[] { 0, 1, 254, 255 }, f.Load("mask").ToArray<byte>());
        Assert.Equal(new[] { 1, 4 }, f.Entry("mask").Shape);
        Assert.Equal(new[] { -123456, int.MaxValue }, f.View("count").ToArray<int>());
        var empty = f.Load("empty");
        Assert.Equal(new[] { 0, 5 }, empty.ShapeArray());
        Assert.Equal(0, empty.NumElements);
        Assert.Equal((36L, 36L), (f.Entry("empty").Begin, f.Entry("empty").End));
    }

    [Fact]
    public void RewritingTheFixtureKeepsEveryTensor()
    {
        using var f = SafeTensorsFile.Open(FixturePath());
        using var dir = new TempDir();
        var path = dir.File("again.safetensors");
        SafeTensorsWriter.Write(path, f.Entries.Keys.Select(k => new KeyValuePair<string, Tensor>(k, f.View(k))), f.Metadata);
        using var g = SafeTensorsFile.Open(path);
        Assert.Equal(f.Metadata, g.Metadata);
        foreach (var k in f.Entries.Keys)
        {
            Assert.Equal(f.Entry(k).DTypeName, g.Entry(k).DTypeName);
            Assert.Equal(f.Entry(k).Shape, g.Entry(k).Shape);
            Assert.Equal(SafeTensorsTestFiles.RawBytes(f.Load(k)), SafeTensorsTestFiles.RawBytes(g.Load(k)));
        }
        Assert.Equal(0, g.DataStart % 8);
    }
}
