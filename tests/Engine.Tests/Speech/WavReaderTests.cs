using System.Buffers.Binary;
using Engine.Models.Audio;

namespace Engine.Tests.Speech;

public class WavReaderTests
{
    /// <summary>A WAV file built byte by byte here (not by WavWriter): header fields as the RIFF spec lays them out.</summary>
    private static byte[] Wav(ushort format, ushort channels, uint rate, ushort bits, byte[] data, bool extensible = false, byte[]? extraChunk = null)
    {
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        int fmtSize = extensible ? 40 : 16;
        w.Write("RIFF"u8); w.Write(0u); w.Write("WAVE"u8);
        if (extraChunk is not null) { w.Write("LIST"u8); w.Write((uint)extraChunk.Length); w.Write(extraChunk); if (extraChunk.Length % 2 == 1) w.Write((byte)0); }
        w.Write("fmt "u8); w.Write((uint)fmtSize);
        w.Write(extensible ? (ushort)0xFFFE : format); w.Write(channels); w.Write(rate);
        w.Write(rate * channels * (uint)(bits / 8)); w.Write((ushort)(channels * bits / 8)); w.Write(bits);
        if (extensible)
        {
            w.Write((ushort)22); w.Write(bits); w.Write(0u);
            w.Write(format); w.Write(new byte[] { 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71 });
        }
        w.Write("data"u8); w.Write((uint)data.Length); w.Write(data);
        var b = ms.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)(b.Length - 8));
        return b;
    }

    private static AudioClip Read(byte[] b) => WavReader.Read(b, "test.wav");

    [Fact]
    public void Pcm16FullScaleAndSigns()
    {
        var d = new byte[8];
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(0), short.MinValue);
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(2), 16384);
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(4), -1);
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(6), short.MaxValue);
        var c = Read(Wav(1, 1, 16000, 16, d));
        Assert.Equal([-1f, 0.5f, -1f / 32768, 32767f / 32768], c.Samples);
        Assert.Equal(16000, c.SampleRate);
    }

    [Fact]
    public void Pcm24SignExtendsTheTopByte()
    {
        // 0x800000 = −2^23 → −1; 0x7FFFFF → 1 − 2^−23; 0xFFFFFF = −1 → −2^−23; 0x400000 → 0.5.
        byte[] d = [0x00, 0x00, 0x80, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x40];
        var c = Read(Wav(1, 1, 8000, 24, d));
        Assert.Equal([-1f, 8388607f / 8388608, -1f / 8388608, 0.5f], c.Samples);
    }

    [Fact]
    public void Pcm32AndPcm8()
    {
        var d = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(0), int.MinValue);
        BinaryPrimitives.WriteInt32LittleEndian(d.AsSpan(4), 1 << 29);
        Assert.Equal([-1f, 0.25f], Read(Wav(1, 1, 8000, 32, d)).Samples);
        // 8-bit PCM is unsigned with 128 as zero.
        Assert.Equal([-1f, 0f, 0.5f], Read(Wav(1, 1, 8000, 8, [0, 128, 192])).Samples);
    }

    [Fact]
    public void Float32AndFloat64()
    {
        var d32 = new byte[8];
        BinaryPrimitives.WriteSingleLittleEndian(d32.AsSpan(0), -0.375f);
        BinaryPrimitives.WriteSingleLittleEndian(d32.AsSpan(4), 0.8125f);
        Assert.Equal([-0.375f, 0.8125f], Read(Wav(3, 1, 22050, 32, d32)).Samples);
        var d64 = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(d64.AsSpan(0), 0.1);
        BinaryPrimitives.WriteDoubleLittleEndian(d64.AsSpan(8), -0.9);
        Assert.Equal([0.1f, -0.9f], Read(Wav(3, 1, 22050, 64, d64)).Samples);
    }

    [Fact]
    public void StereoIsInterleavedAndMonoAveragesTheChannels()
    {
        var d = new byte[8];
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(0), 16384);   // L0 = 0.5
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(2), -8192);   // R0 = −0.25
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(4), 8192);    // L1 = 0.25
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(6), 8192);    // R1 = 0.25
        var c = Read(Wav(1, 2, 44100, 16, d));
        Assert.Equal(2, c.Channels);
        Assert.Equal(2, c.Frames);
        Assert.Equal([0.125f, 0.25f], c.Mono());
    }

    [Fact]
    public void ExtensibleHeaderAndUnknownChunksBeforeFmt()
    {
        var d = new byte[6];
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(0), 3277);
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(2), -3277);
        BinaryPrimitives.WriteInt16LittleEndian(d.AsSpan(4), 0);
        var c = Read(Wav(1, 1, 16000, 16, d, extensible: true, extraChunk: [1, 2, 3])); // odd-sized chunk: padded
        Assert.Equal([3277f / 32768, -3277f / 32768, 0f], c.Samples);
        var f = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(f, 0.3f);
        Assert.Equal([0.3f], Read(Wav(3, 1, 16000, 32, f, extensible: true)).Samples);
    }

    /// <summary>
    /// Files written by an independent writer (sox) in every encoding it can produce from the numpy-written 16-bit
    /// fixture decode to the same waveform: exactly for the lossless widenings, within the format's step otherwise.
    /// </summary>
    [Fact]
    public void SoxWrittenEncodingsDecodeToTheSameWaveform()
    {
        var src = Path.Combine(SpeechFixtures.Dir("audio"), "tone.wav");
        var want = WavReader.Read(src).Samples;
        var dir = SpeechFixtures.TempDir("wav");
        try
        {
            foreach (var (args, tol) in new (string[] Args, float Tol)[]
            {
                (["-b", "24"], 0f), (["-b", "32"], 0f), (["-e", "floating-point", "-b", "32"], 0f), (["-e", "floating-point", "-b", "64"], 0f),
                (["-b", "8"], 1f / 128 + 1e-6f),
            })
            {
                var dst = Path.Combine(dir, string.Join("_", args) + ".wav");
                SpeechFixtures.Run("sox", ["-D", src, .. args, dst]); // -D: no dither, so the 8-bit case is plain rounding
                var got = WavReader.Read(dst);
                Assert.Equal(want.Length, got.Samples.Length);
                float worst = want.Zip(got.Samples, (a, b) => Math.Abs(a - b)).Max();
                Assert.True(worst <= tol, $"sox {string.Join(' ', args)}: max difference {worst} > {tol}");
            }
            var stereo = Path.Combine(dir, "stereo.wav");
            SpeechFixtures.Run("sox", [src, "-c", "2", stereo]);
            var st = WavReader.Read(stereo);
            Assert.Equal(2, st.Channels);
            Assert.Equal(want, st.Mono());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TruncatedAndGarbageFilesFailNamingTheProblem()
    {
        var good = Wav(1, 1, 16000, 16, new byte[200]);
        string Err(byte[] b) => Assert.Throws<WavFormatException>(() => WavReader.Read(b, "clip.wav")).Message;

        Assert.Contains("clip.wav", Err(good[..30]));
        Assert.Contains("truncated", Err(good[..30]));                          // inside the fmt chunk
        Assert.Contains("'data' chunk declares 200 bytes but only 100 follow", Err(good[..(44 + 100)]));
        Assert.Contains("not a whole number of 2-byte frames", Err(Wav(1, 1, 16000, 16, new byte[7])));
        Assert.Contains("shorter than the 12-byte RIFF header", Err(good[..5]));
        var rng = new Random(5);
        var garbage = new byte[500]; rng.NextBytes(garbage);
        Assert.Contains("does not start with 'RIFF'", Err(garbage));
        Assert.Contains("no 'data' chunk", Err(good[..36]));
        Assert.Contains("format 2 is not PCM (1) or IEEE float (3)", Err(Wav(2, 1, 16000, 16, new byte[4])));
        Assert.Contains("bits per sample 12", Err(Wav(1, 1, 16000, 12, new byte[6])));
        var missing = Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid() + ".wav");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => WavReader.Read(missing)).Message);
    }

    [Fact]
    public void WriterRoundTripsThroughTheReader()
    {
        var dir = SpeechFixtures.TempDir("wavrt");
        try
        {
            var x = Enumerable.Range(0, 64).Select(i => (float)Math.Sin(i * 0.3) * 0.7f).ToArray();
            var p = Path.Combine(dir, "a.wav");
            WavWriter.Write(p, new AudioClip(x, 2, 8000), float32: true);
            var c = WavReader.Read(p);
            Assert.Equal(x, c.Samples);
            Assert.Equal(2, c.Channels);
            WavWriter.Write(p, new AudioClip(x, 1, 16000));
            Assert.True(x.Zip(WavReader.Read(p).Samples, (a, b) => Math.Abs(a - b)).Max() <= 0.5f / 32768 + 1e-7f);
        }
        finally { Directory.Delete(dir, true); }
    }
}
