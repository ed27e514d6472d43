using System.Text;
using Engine.Models.Checkpoints;
using Engine.Runtime;
using static Engine.Tests.Checkpoints.SafeTensorsTestFiles;

namespace Engine.Tests.Checkpoints;

/// <summary>
/// The writer's bytes against files assembled here from the format specification and the reference
/// library's serialisation rules: compact JSON, "__metadata__" first, tensors ordered by dtype
/// (I64, F64, F32, I32, BF16, F16, U8 for Engine's types: the reference enum's order, descending) then
/// by name, offsets consecutive from 0, header padded with spaces to a multiple of 8.
/// </summary>
public class SafeTensorsWriterFormatTests
{
    private static byte[] Written(IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var dir = new TempDir();
        var path = dir.File("out.safetensors");
        SafeTensorsWriter.Write(path, tensors, metadata);
        return File.ReadAllBytes(path);
    }

    private static byte[] Expected(string headerJson, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var padded = header.Concat(Enumerable.Repeat((byte)' ', (8 - header.Length % 8) % 8)).ToArray();
        Assert.Equal(0, padded.Length % 8);
        return Assemble(padded, data);
    }

    [Fact]
    public void SingleF32TensorMatchesTheSpecification()
    {
        var t = Tensor.FromArray(new float[] { 0, 1, 2, 3, 4, 5 }, 2, 3);
        var expected = Expected("{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}", F32(0, 1, 2, 3, 4, 5));
        Assert.Equal(expected, Written([new("attn.0", t)]));
        // 63 bytes of JSON, one space of padding.
        Assert.Equal(64, BitConverter.ToInt64(expected, 0));
    }

    [Fact]
    public void MixedDTypesAreOrderedByAlignmentThenNameWithMetadataFirst()
    {
        var tensors = new KeyValuePair<string, Tensor>[]
        {
            new("b", Tensor.FromArray(new float[] { 1.5f, -2f })),
            new("a", Tensor.FromArray(new BFloat16[] { new(0x3F80), new(0x4000), new(0xBF80) })),
            new("c", Tensor.FromSpan<long>([-3L], [])),
            new("z", Tensor.FromArray(new byte[] { 9, 8, 7, 6, 5 })),
            new("y", Tensor.FromArray(new double[] { 0.25 })),
            new("x", Tensor.Zeros([0], DType.F16)),
            new("w", Tensor.FromArray(new int[] { 77 }, 1, 1)),
            new("aa", Tensor.FromArray(new float[] { 4f })),
        };
        var header =
            "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"hi\"}," +
            "\"c\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]}," +
            "\"y\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}," +
            "\"aa\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[16,20]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[20,28]}," +
            "\"w\":{\"dtype\":\"I32\",\"shape\":[1,1],\"data_offsets\":[28,32]}," +
            "\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[32,38]}," +
            "\"x\":{\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[38,38]}," +
            "\"z\":{\"dtype\":\"U8\",\"shape\":[5],\"data_offsets\":[38,43]}}";
        byte[] data =
        [
            .. BitConverter.GetBytes(-3L), .. BitConverter.GetBytes(0.25), .. F32(4f), .. F32(1.5f, -2f),
            .. BitConverter.GetBytes(77), 0x80, 0x3F, 0x00, 0x40, 0x80, 0xBF, 9, 8, 7, 6, 5,
        ];
        var metadata = new Dictionary<string, string> { ["note"] = "hi", ["format"] = "pt" };
        Assert.Equal(Expected(header, data), Written(tensors, metadata));
    }

    [Fact]
    public void EmptyFilesMatchTheSpecification()
    {
        Assert.Equal(Expected("{}", []), Written([]));
        Assert.Equal(16, Written([]).Length); // "{}" plus six spaces
        Assert.Equal(Expected("{\"__metadata__\":{}}", []), Written([], new Dictionary<string, string>()));
    }

    [Fact]
    public void StringsAreEscapedLikeSerdeJson()
    {
        // serde_json escapes only '"', '\\' and control characters; '/', DEL and non-ASCII stay raw.
        var name = "q\"\\/é\n\u0001\u007f😀";
        var t = Tensor.FromArray(new byte[] { 1 });
        var header = "{\"__metadata__\":{\"k\\t\":\"\\r\\b\\f\\u001f\"},\"q\\\"\\\\/é\\n\\u0001\u007f😀\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        var bytes = Written([new(name, t)], new Dictionary<string, string> { ["k\t"] = "\r\b\f\u001f" });
        Assert.Equal(Expected(header, [1]), bytes);

        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("e.safetensors"), bytes);
        using var f = SafeTensorsFile.Open(dir.File("e.safetensors"));
        Assert.Equal([name], f.Entries.Keys);
        Assert.Equal("\r\b\f\u001f", f.Metadata["k\t"]);
    }

    [Fact]
    public void NamesSortByUtf8BytesLikeRust()
    {
        // UTF-16 order puts U+FF01 after U+1F600's surrogates; UTF-8 (and Rust) order puts it before.
        var t = Tensor.FromArray(new byte[] { 1 });
        var bytes = Written([new("😀", t), new("！", t), new("B", t), new("a", t)]);
        var header = "{\"B\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}," +
                     "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}," +
                     "\"！\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[2,3]}," +
                     "\"😀\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[3,4]}}";
        Assert.Equal(Expected(header, [1, 1, 1, 1]), bytes);
    }
}
