using System.Buffers.Binary;

namespace Engine.Models.Audio;

/// <summary>Writes 16-bit PCM or 32-bit float WAV files (the testbed's and the tests' own files).</summary>
public static class WavWriter
{
    public static void Write(string path, AudioClip clip, bool float32 = false)
    {
        int bytesPer = float32 ? 4 : 2;
        int dataBytes = clip.Samples.Length * bytesPer;
        var b = new byte[44 + dataBytes];
        "RIFF"u8.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), (uint)(36 + dataBytes));
        "WAVEfmt "u8.CopyTo(b.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 16);
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(20), (ushort)(float32 ? 3 : 1));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(22), (ushort)clip.Channels);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(24), (uint)clip.SampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(28), (uint)(clip.SampleRate * clip.Channels * bytesPer));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(32), (ushort)(clip.Channels * bytesPer));
        BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(34), (ushort)(bytesPer * 8));
        "data"u8.CopyTo(b.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(40), (uint)dataBytes);
        for (int i = 0; i < clip.Samples.Length; i++)
        {
            var dst = b.AsSpan(44 + i * bytesPer);
            if (float32) BinaryPrimitives.WriteSingleLittleEndian(dst, clip.Samples[i]);
            else BinaryPrimitives.WriteInt16LittleEndian(dst, (short)Math.Clamp(Math.Round(clip.Samples[i] * 32768.0), -32768, 32767));
        }
        Checkpoints.AtomicFile.Write(path, s => s.Write(b));
    }
}
