using System.Text;
using Engine.Models.Checkpoints;
using static Engine.Tests.Checkpoints.SafeTensorsTestFiles;

namespace Engine.Tests.Checkpoints;

/// <summary>
/// Files that break the format in one specific way each. Every one must be refused by Open with a
/// SafeTensorsFormatException naming the file, the tensor (when one is at fault) and the rule.
/// </summary>
public class SafeTensorsHostileFileTests
{
    private static readonly byte[] Data24 = F32(1, 2, 3, 4, 5, 6);
    private const string Ok = "\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]";

    // name -> (file bytes, tensor blamed or null, rule fragment expected in the message)
    private static readonly Dictionary<string, (Func<byte[]> Build, string? Tensor, string Rule)> Cases = new()
    {
        ["length larger than file"] = (() => Assemble("{}", [], lengthPrefix: 1000), null, "header length 1000 is larger than the 2 bytes"),
        ["length 2^63"] = (() => Assemble("{\"a\":{" + Ok + "}}", Data24, lengthPrefix: 1UL << 63), null, "header length 9223372036854775808 is larger than"),
        ["length u64 max"] = (() => Assemble("{}", [], lengthPrefix: ulong.MaxValue), null, "header length 18446744073709551615 is larger than"),
        ["length 0"] = (() => Assemble("{}", [], lengthPrefix: 0), null, "header length is 0"),
        ["shorter than prefix"] = (() => [1, 0, 0], null, "shorter than the 8-byte header length prefix"),
        ["truncated data section"] = (() => Assemble("{\"w\":{" + Ok + "}}", Data24[..12]), "w", "run past the end of the data section (12 bytes)"),
        ["invalid json"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",", Data24), "w", "not valid JSON"),
        ["json array"] = (() => Assemble("[1,2]", []), null, "must be a JSON object, found an array"),
        ["json string"] = (() => Assemble("\"hi\"", []), null, "must be a JSON object, found a string"),
        ["unknown dtype"] = (() => Assemble("{\"w\":{\"dtype\":\"F31\",\"shape\":[6],\"data_offsets\":[0,24]}}", Data24), "w", "unknown dtype 'F31'"),
        ["lowercase dtype"] = (() => Assemble("{\"w\":{\"dtype\":\"f32\",\"shape\":[6],\"data_offsets\":[0,24]}}", Data24), "w", "unknown dtype 'f32'"),
        ["negative dim"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2,3],\"data_offsets\":[0,24]}}", Data24), "w", "shape dimension 0 is negative (-2)"),
        ["numel overflow"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,24]}}", Data24), "w", "element count overflows 64 bits"),
        ["bytes overflow"] = (() => Assemble("{\"w\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647],\"data_offsets\":[0,24]}}", Data24), "w", "byte size overflows 64 bits"),
        ["dim above int32"] = (() => Assemble("{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296],\"data_offsets\":[0,24]}}", Data24), "w", "has dimension 4294967296, above the largest"),
        ["offsets past end"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[8,32]}}", Data24), "w", "data_offsets [8, 32] run past the end of the data section (24 bytes)"),
        ["begin after end"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[24,0]}}", Data24), "w", "data_offsets [24, 0]: begin is after end"),
        ["size mismatch"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", Data24), "w", "hold 20 bytes but shape [2, 3] of F32 needs 24"),
        ["overlap"] = (() => Assemble("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", Data24), "b", "overlap tensor 'a' at [0, 16]"),
        ["duplicate tensor"] = (() => Assemble("{\"w\":{" + Ok + "},\"w\":{" + Ok + "}}", Data24), "w", "duplicate tensor name"),
        ["duplicate field"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]}}", Data24), "w", "duplicate field 'dtype'"),
        ["duplicate metadata"] = (() => Assemble("{\"__metadata__\":{},\"__metadata__\":{}}", []), null, "duplicate key '__metadata__'"),
        ["non-utf8 header"] = (() => Assemble([.. "{\"w"u8, 0xFF, 0xFE, .. "\":{}}"u8], []), null, "not valid UTF-8 (first invalid byte at header offset 3)"),
        ["metadata non-string value"] = (() => Assemble("{\"__metadata__\":{\"step\":5}}", []), null, "value for key 'step' must be a string, found a number"),
        ["metadata array"] = (() => Assemble("{\"__metadata__\":[\"a\"]}", []), null, "'__metadata__' must be an object mapping strings to strings, found an array"),
        ["trailing garbage"] = (() => Assemble("{}  x", []), null, "trailing content after the header's JSON object at header offset 4"),
        ["nul padding"] = (() => Assemble("{}\0\0\0\0\0\0", []), null, "trailing content"),
        ["fractional offset"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0.0,24]}}", Data24), "w", "data_offsets begin must be an integer, found 0.0"),
        ["exponent dim"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[6e0],\"data_offsets\":[0,24]}}", Data24), "w", "must be an integer, found 6e0"),
        ["huge offset"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,99999999999999999999999]}}", Data24), "w", "data_offsets end 99999999999999999999999 is too large"),
        ["negative offset"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[-8,16]}}", Data24), "w", "data_offsets begin is negative (-8)"),
        ["three offsets"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24,24]}}", Data24), "w", "exactly two integers [begin, end], found more"),
        ["missing offsets"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[6]}}", Data24), "w", "missing field 'data_offsets'"),
        ["string dim"] = (() => Assemble("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"6\"],\"data_offsets\":[0,24]}}", Data24), "w", "shape dimension 0 must be a non-negative integer, found a string"),
        ["entry not object"] = (() => Assemble("{\"w\":[1]}", []), "w", "entry must be an object"),
        ["byte order mark"] = (() => Assemble([0xEF, 0xBB, 0xBF, .. "{}"u8], []), null, "byte-order mark"),
        ["lone surrogate escape"] = (() => Assemble("{\"\\ud800\":{" + Ok + "}}", Data24), null, "not valid Unicode"),
        ["nesting bomb"] = (() => Assemble("{\"w\":{\"x\":" + new string('[', 5000) + new string(']', 5000) + "," + Ok + "}}", Data24), "w", "not valid JSON"),
        ["F4 odd count"] = (() => Assemble("{\"w\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,1]}}", [0, 0]), "w", "does not fill a whole number of bytes"),
    };

    public static IEnumerable<object[]> CaseNames() => Cases.Keys.Select(k => new object[] { k });

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void HostileFileIsRefusedWithASpecificMessage(string caseName)
    {
        var (build, tensor, rule) = Cases[caseName];
        using var dir = new TempDir();
        var path = dir.File("hostile.safetensors");
        File.WriteAllBytes(path, build());

        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.IsAssignableFrom<IOException>(ex);
        Assert.Contains(path, ex.Message);
        Assert.Contains(rule, ex.Message);
        Assert.Equal(tensor, ex.TensorName);
        if (tensor is not null) Assert.Contains($"tensor '{tensor}'", ex.Message);
    }

    [Fact]
    public void ThereAreAtLeastSixteenDistinctHostileCases() => Assert.True(Cases.Count >= 16);

    [Fact]
    public void HeaderLengthAboveTheLimitIsRefusedEvenWhenTheFileIsThatLarge()
    {
        using var dir = new TempDir();
        var path = dir.File("big.safetensors");
        using (var fs = File.Create(path))
        {
            fs.Write(Assemble("{}", [], lengthPrefix: 100_000_001));
            fs.SetLength(8 + 100_000_001 + 16); // sparse: no real disk use
        }
        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        Assert.Contains("header length 100000001 exceeds the 100000000-byte limit", ex.Message);
    }

    [Theory]
    [InlineData("length 2^63")]
    [InlineData("length u64 max")]
    [InlineData("numel overflow")]
    [InlineData("huge offset")]
    [InlineData("dim above int32")]
    public void LyingNumbersDoNotCauseLargeAllocations(string caseName)
    {
        using var dir = new TempDir();
        var path = dir.File("liar.safetensors");
        File.WriteAllBytes(path, Cases[caseName].Build());
        // Warm up once so JIT and type loading are not counted.
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Open(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64 * 1024, $"Open of '{caseName}' allocated {allocated} bytes");
    }

    /// <summary>
    /// Random byte corruptions of a valid file: Open either succeeds (and then every tensor loads or is
    /// refused as an unsupported dtype) or throws SafeTensorsFormatException; nothing else, no crash.
    /// </summary>
    [Fact]
    public void CorruptedFilesFailOnlyWithFormatErrors()
    {
        using var dir = new TempDir();
        var good = Assemble("{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[16,24]}}", Data24);
        var rng = new Random(12345);
        int opened = 0, refused = 0;
        for (int trial = 0; trial < 400; trial++)
        {
            var bytes = (byte[])good.Clone();
            int edits = 1 + rng.Next(3);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.Next(Math.Min(bytes.Length, 8 + 150));
                bytes[at] = rng.Next(4) switch
                {
                    0 => (byte)rng.Next(256),
                    1 => (byte)"0123456789"[rng.Next(10)],
                    2 => (byte)"{}[],:\" -"[rng.Next(9)],
                    _ => (byte)(bytes[at] ^ (1 << rng.Next(8))),
                };
            }
            var path = dir.File($"c{trial}.safetensors");
            File.WriteAllBytes(path, bytes);
            try
            {
                using var f = SafeTensorsFile.Open(path);
                opened++;
                foreach (var name in f.Entries.Keys)
                {
                    try { f.Load(name).Storage.Dispose(); }
                    catch (NotSupportedException) { }
                }
            }
            catch (SafeTensorsFormatException) { refused++; }
        }
        Assert.True(refused > 100, $"only {refused} of 400 corruptions were refused");
        Assert.True(opened > 0, "no corruption left a valid file (digits in data or padding should)");
    }

    [Fact]
    public void GapsBetweenTensorsAndUnusedTrailingBytesAreAccepted()
    {
        using var dir = new TempDir();
        var path = dir.File("gaps.safetensors");
        // a at [4,12), b at [16,20), 4 unused bytes at the end.
        File.WriteAllBytes(path, Assemble("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}}", Data24));
        using var f = SafeTensorsFile.Open(path);
        Assert.Equal(new float[] { 2, 3 }, f.Load("a").ToArray<float>());
        Assert.Equal(new float[] { 5 }, f.Load("b").ToArray<float>());
    }
}
