using System.Runtime.InteropServices;
using System.Text;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Experiments;
using Engine.Models;
using Engine.Native;
using Engine.Runtime;

namespace Engine.Tests.Native;

/// <summary>
/// The C ABI exports of native/include/engine.h, called in process through unmanaged function pointers (the same
/// calling convention a C caller uses; the NativeAOT library exposes these very methods).
/// </summary>
public unsafe class NativeExportsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "engine-native-" + Guid.NewGuid().ToString("N"));
    private static readonly delegate* unmanaged[Cdecl]<byte*> Version = &NativeExports.EngineVersion;
    private static readonly delegate* unmanaged[Cdecl]<byte*> LastError = &NativeExports.EngineLastError;
    private static readonly delegate* unmanaged[Cdecl]<byte*, byte*, IntPtr> Load = &NativeExports.EngineLoadModel;
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, double*, int*, int> Score = &NativeExports.EngineScore;
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, byte*, int, byte*, long, long> Generate = &NativeExports.EngineGenerate;
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, void> Free = &NativeExports.EngineFree;

    public void Dispose() { if (Directory.Exists(_root)) Directory.Delete(_root, true); }

    private static string? S(byte* p) => Marshal.PtrToStringUTF8((IntPtr)p);
    private static byte[] Z(string s) => Encoding.UTF8.GetBytes(s + "\0");

    private string TinyModel()
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 60, Seed = 4 });
        return TestbedExperiment.MakeTinyModel(Path.Combine(_root, "m"), TestbedExperiment.ChatText(records),
            new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 1, Intermediate: 64, Vocab: 280), seed: 3);
    }

    [Fact]
    public void VersionIsADottedNumber() => Assert.Matches(@"^\d+\.\d+(\.\d+)?", S(Version()));

    [Fact]
    public void FailedLoadReturnsNullAndTheReason()
    {
        var missing = Path.Combine(_root, "no-such-model");
        fixed (byte* p = Z(missing))
            Assert.Equal(IntPtr.Zero, Load(p, null));
        Assert.Contains("no-such-model", S(LastError()));
        fixed (byte* p = Z(missing)) fixed (byte* d = Z("tpu:0"))
            Assert.Equal(IntPtr.Zero, Load(p, d));
        Assert.Contains("tpu", S(LastError()));
        fixed (byte* t = Z("x"))
            Assert.Equal(-1, Score(IntPtr.Zero, t, null, null));
        Assert.Contains("model", S(LastError()));
        Free(IntPtr.Zero); // allowed, no effect
    }

    [Fact]
    public void ScoreIsTheSumOfNextTokenLogSoftmaxByHand()
    {
        var dir = TinyModel();
        IntPtr h;
        fixed (byte* p = Z(dir)) fixed (byte* d = Z("cpu")) h = Load(p, d);
        Assert.True(h != IntPtr.Zero, S(LastError()));
        try
        {
            const string text = "Calculate. 12 + 46 = 58";
            double sum; int n;
            fixed (byte* t = Z(text)) Assert.Equal(0, Score(h, t, &sum, &n));

            // Reference: logits of the whole sequence, log-softmax in double by hand, next-token terms summed.
            var b = ModelBundle.Load(dir);
            var ids = b.Tokenizer.Encode(text, addSpecialTokens: true);
            var logits = b.Model.Forward(Tensor.FromArray(ids.Select(i => (long)i).ToArray(), 1, ids.Length)).ToArray<float>();
            int v = logits.Length / ids.Length;
            double want = 0;
            for (int i = 0; i + 1 < ids.Length; i++)
            {
                var row = logits.AsSpan(i * v, v);
                double max = double.NegativeInfinity, z = 0;
                foreach (var x in row) max = Math.Max(max, x);
                foreach (var x in row) z += Math.Exp(x - max);
                want += row[ids[i + 1]] - max - Math.Log(z);
            }
            Assert.Equal(ids.Length - 1, n);
            Assert.Equal(want, sum, 3);
            Assert.True(sum < 0);
        }
        finally { Free(h); }
    }

    [Fact]
    public void GenerateIsGreedyDeterministicAndReportsTheFullLength()
    {
        var dir = TinyModel();
        IntPtr h;
        fixed (byte* p = Z(dir)) h = Load(p, null);
        Assert.True(h != IntPtr.Zero, S(LastError()));
        try
        {
            var buf = new byte[4096];
            long len;
            fixed (byte* pr = Z("<|im_start|>user\nCalculate. 3 + 4<|im_end|>\n<|im_start|>assistant\n")) fixed (byte* o = buf)
                len = Generate(h, pr, 12, o, buf.Length);
            Assert.True(len >= 0, S(LastError()));
            var full = Encoding.UTF8.GetString(buf, 0, (int)len);
            Assert.Equal(0, buf[len]);

            // Same call twice gives the same text (greedy); a 5-byte buffer gets a prefix and still the full length.
            var small = new byte[5];
            long len2;
            fixed (byte* pr = Z("<|im_start|>user\nCalculate. 3 + 4<|im_end|>\n<|im_start|>assistant\n")) fixed (byte* o = small)
                len2 = Generate(h, pr, 12, o, small.Length);
            Assert.Equal(len, len2);
            int kept = Array.IndexOf(small, (byte)0);
            Assert.InRange(kept, 0, 4);
            Assert.StartsWith(Encoding.UTF8.GetString(small, 0, kept), full);

            fixed (byte* pr = Z("x")) Assert.Equal(-1, Generate(h, pr, -1, null, 0));
            Assert.Contains("max_tokens", S(LastError()));
        }
        finally { Free(h); }
    }

    [Theory]
    [InlineData("héllo€", 100, "héllo€")]
    [InlineData("héllo€", 3, "h")]       // "hé" would need 3 bytes + NUL: never half a character
    [InlineData("héllo€", 4, "hé")]
    [InlineData("héllo€", 8, "héllo")]   // € is 3 bytes: 8-1 = 7 bytes hold "héllo" (6) but not the €
    [InlineData("abc", 1, "")]
    public void TruncationKeepsWholeCharacters(string text, int capacity, string kept)
    {
        var buf = new byte[capacity + 4];
        Array.Fill(buf, (byte)0xAA);
        long n;
        fixed (byte* o = buf) n = NativeExports.WriteUtf8(text, o, capacity);
        Assert.Equal(Encoding.UTF8.GetByteCount(text), n);
        var k = Encoding.UTF8.GetByteCount(kept);
        Assert.Equal(kept, Encoding.UTF8.GetString(buf, 0, k));
        Assert.Equal(0, buf[k]);
        Assert.Equal(0xAA, buf[capacity]); // nothing written past capacity
    }
}
