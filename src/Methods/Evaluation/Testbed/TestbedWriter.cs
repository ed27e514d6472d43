using System.Text.Encodings.Web;
using System.Text.Json;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>
/// Writes records as JSONL: one object per line, '\n' line ends, UTF-8 without BOM, fixed field order — so one
/// seed gives byte-identical files everywhere. With <c>hideHidden</c> the canonical answer and the meta object are
/// left out (the data handed to a selection method); <see cref="WriteKey"/> writes them to a separate key file.
/// <para>Semantics of noise per format: alpaca/chat serve the corrupted output. preference: a clean record has
/// chosen = clean, rejected = its negative; a corrupted record has them swapped. kto: every record gives two lines,
/// (clean, true) and (negative, false); a corrupted record gives the labels flipped.</para>
/// </summary>
public static class TestbedWriter
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    public static void Write(IEnumerable<TestbedRecord> records, Stream stream, TestbedFormat format, bool hideHidden = false)
    {
        foreach (var r in records)
        {
            var meta = r.Meta ?? throw new InvalidOperationException($"TestbedWriter: record {r.Id} has no meta; only generated records can be written.");
            switch (format)
            {
                case TestbedFormat.Alpaca:
                    Line(stream, w =>
                    {
                        w.WriteString("id", r.Id);
                        w.WriteString("instruction", r.Instruction);
                        w.WriteString("input", r.Input);
                        w.WriteString("output", r.Output);
                        Common(w, r, hideHidden);
                    });
                    break;
                case TestbedFormat.Chat:
                    Line(stream, w =>
                    {
                        w.WriteString("id", r.Id);
                        w.WriteStartArray("messages");
                        Message(w, "user", r.Prompt);
                        Message(w, "assistant", r.Output);
                        w.WriteEndArray();
                        Common(w, r, hideHidden);
                    });
                    break;
                case TestbedFormat.Preference:
                    Line(stream, w =>
                    {
                        w.WriteString("id", r.Id);
                        w.WriteString("prompt", r.Prompt);
                        w.WriteString("chosen", meta.Corrupted ? meta.NegativeOutput : meta.CleanOutput);
                        w.WriteString("rejected", meta.Corrupted ? meta.CleanOutput : meta.NegativeOutput);
                        Common(w, r, hideHidden);
                    });
                    break;
                default:
                    foreach (var (completion, good) in new[] { (meta.CleanOutput, true), (meta.NegativeOutput, false) })
                        Line(stream, w =>
                        {
                            w.WriteString("id", r.Id);
                            w.WriteString("prompt", r.Prompt);
                            w.WriteString("completion", completion);
                            w.WriteBoolean("label", meta.Corrupted ? !good : good);
                            Common(w, r, hideHidden);
                        });
                    break;
            }
        }
    }

    public static void Write(IEnumerable<TestbedRecord> records, string path, TestbedFormat format, bool hideHidden = false)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        Write(records, fs, format, hideHidden);
    }

    /// <summary>Key file for scoring: one line per record with id, corrupted, corruption, task, domain, difficulty, answer.</summary>
    public static void WriteKey(IEnumerable<TestbedRecord> records, Stream stream)
    {
        foreach (var r in records)
        {
            var meta = r.Meta ?? throw new InvalidOperationException($"TestbedWriter: record {r.Id} has no meta.");
            Line(stream, w =>
            {
                w.WriteString("id", r.Id);
                w.WriteBoolean("corrupted", meta.Corrupted);
                if (meta.Corruption is { } k) w.WriteString("corruption", k.Name()); else w.WriteNull("corruption");
                w.WriteString("task", r.Task);
                w.WriteString("domain", r.Domain);
                w.WriteNumber("difficulty", r.Difficulty);
                w.WriteString("answer", r.Answer);
            });
        }
    }

    public static void WriteKey(IEnumerable<TestbedRecord> records, string path)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
        WriteKey(records, fs);
    }

    private static void Common(Utf8JsonWriter w, TestbedRecord r, bool hideHidden)
    {
        w.WriteString("task", r.Task);
        w.WriteString("domain", r.Domain);
        w.WriteNumber("difficulty", r.Difficulty);
        w.WriteStartObject("tags");
        Strings(w, "cognition", r.Tags.Cognition);
        Strings(w, "domain", r.Tags.Domain);
        Strings(w, "task", r.Tags.Task);
        w.WriteEndObject();
        if (hideHidden) return;
        w.WriteString("answer", r.Answer);
        var m = r.Meta!;
        w.WriteStartObject("meta");
        w.WriteBoolean("corrupted", m.Corrupted);
        if (m.Corruption is { } k) w.WriteString("corruption", k.Name()); else w.WriteNull("corruption");
        w.WriteString("clean_output", m.CleanOutput);
        w.WriteNumber("seed", m.Seed);
        w.WriteString("negative_output", m.NegativeOutput);
        w.WriteString("negative_kind", m.NegativeKind.Name());
        w.WriteEndObject();
    }

    private static void Strings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static void Message(Utf8JsonWriter w, string role, string content)
    {
        w.WriteStartObject();
        w.WriteString("role", role);
        w.WriteString("content", content);
        w.WriteEndObject();
    }

    private static void Line(Stream stream, Action<Utf8JsonWriter> body)
    {
        using (var w = new Utf8JsonWriter(stream, Options))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
    }
}
