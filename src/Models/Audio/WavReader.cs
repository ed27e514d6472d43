using System.Buffers.Binary;

namespace Engine.Models.Audio;

/// <summary>
/// RIFF/WAVE reader: integer PCM of 8 (unsigned), 16, 24 and 32 bits and IEEE float of 32 and 64 bits, any channel
/// count, plain or WAVE_FORMAT_EXTENSIBLE headers. Samples become floats in [−1, 1] (integer n bits divided by 2^(n−1),
/// as soundfile and torchaudio do). Truncated or malformed files raise <see cref="WavFormatException"/> naming the
/// file and the field; nothing is guessed. A data chunk whose size field is 0xFFFFFFFF (a writer that streamed to a
/// pipe and could not seek back) is read to the end of the file.
/// </summary>
public static class WavReader
{
    private const ushort FormatPcm = 1, FormatFloat = 3, FormatExtensible = 0xFFFE;

    public static AudioClip Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"{path}: no such audio file.", path); }
        return Read(bytes, path);
    }

    /// <param name="name">What to call the source in error messages.</param>
    public static AudioClip Read(ReadOnlySpan<byte> b, string name)
    {
        WavFormatException Bad(string what) => new($"{name}: not a readable WAV file: {what}.");
        if (b.Length < 12) throw Bad($"{b.Length} bytes, shorter than the 12-byte RIFF header");
        if (!b[..4].SequenceEqual("RIFF"u8)) throw Bad(b[..4].SequenceEqual("RIFX"u8) ? "big-endian RIFX is not supported" : "it does not start with 'RIFF'");
        if (!b[8..12].SequenceEqual("WAVE"u8)) throw Bad("the RIFF form type is not 'WAVE'");

        ushort format = 0, channels = 0, bits = 0, blockAlign = 0;
        uint rate = 0;
        bool haveFmt = false;
        int pos = 12;
        while (pos + 8 <= b.Length)
        {
            var id = System.Text.Encoding.ASCII.GetString(b.Slice(pos, 4));
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(pos + 4, 4));
            int body = pos + 8;
            if (id == "fmt ")
            {
                if (size < 16 || body + 16 > b.Length) throw Bad($"the 'fmt ' chunk at byte {pos} is truncated ({Math.Min(size, (uint)(b.Length - body))} of 16 bytes)");
                format = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body, 2));
                channels = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 2, 2));
                rate = BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(body + 4, 4));
                blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 12, 2));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 14, 2));
                if (format == FormatExtensible)
                {
                    // cbSize, valid bits, channel mask, then the sub-format GUID whose first two bytes are the format code.
                    if (size < 40 || body + 40 > b.Length) throw Bad("the WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is shorter than 40 bytes");
                    format = BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(body + 24, 2));
                }
                haveFmt = true;
            }
            else if (id == "data")
            {
                if (!haveFmt) throw Bad("the 'data' chunk comes before any 'fmt ' chunk");
                long avail = b.Length - body;
                long len = size == uint.MaxValue ? avail : size;
                if (len > avail) throw Bad($"truncated: the 'data' chunk declares {size} bytes but only {avail} follow");
                return Decode(b.Slice(body, (int)len), format, channels, rate, bits, blockAlign, Bad);
            }
            long next = (long)body + size + (size & 1); // chunks are padded to even sizes
            if (next > b.Length) throw Bad($"truncated: the '{Printable(id)}' chunk at byte {pos} declares {size} bytes but only {b.Length - body} follow");
            pos = (int)next;
        }
        throw Bad(haveFmt ? "no 'data' chunk" : "no 'fmt ' chunk");
    }

    private static string Printable(string id) => new(id.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    private static AudioClip Decode(ReadOnlySpan<byte> d, ushort format, ushort channels, uint rate, ushort bits, ushort blockAlign, Func<string, WavFormatException> bad)
    {
        if (channels == 0) throw bad("'fmt ' field channels is 0");
        if (rate == 0 || rate > 1_000_000) throw bad($"'fmt ' field sample rate {rate} Hz is out of range");
        bool isFloat = format == FormatFloat;
        if (format != FormatPcm && !isFloat) throw bad($"'fmt ' field format {format} is not PCM (1) or IEEE float (3); compressed WAVs are not supported");
        if (isFloat ? bits is not (32 or 64) : bits is not (8 or 16 or 24 or 32)) throw bad($"'fmt ' field bits per sample {bits} is not supported for {(isFloat ? "float" : "PCM")}");
        int bytesPer = bits / 8;
        if (blockAlign != channels * bytesPer) throw bad($"'fmt ' field block align {blockAlign} ≠ channels {channels} × {bytesPer} bytes");
        if (d.Length % blockAlign != 0) throw bad($"truncated: the 'data' chunk holds {d.Length} bytes, not a whole number of {blockAlign}-byte frames");
        var s = new float[d.Length / bytesPer];
        for (int i = 0; i < s.Length; i++)
        {
            var p = d.Slice(i * bytesPer, bytesPer);
            s[i] = (isFloat, bits) switch
            {
                (true, 32) => BinaryPrimitives.ReadSingleLittleEndian(p),
                (true, _) => (float)BinaryPrimitives.ReadDoubleLittleEndian(p),
                (false, 8) => (p[0] - 128) / 128f,
                (false, 16) => BinaryPrimitives.ReadInt16LittleEndian(p) / 32768f,
                (false, 24) => ((p[0] | (p[1] << 8) | (p[2] << 16)) << 8 >> 8) / 8388608f,
                _ => (float)(BinaryPrimitives.ReadInt32LittleEndian(p) / 2147483648.0),
            };
        }
        return new AudioClip(s, channels, (int)rate);
    }
}
