using Engine.Methods.Core.Data;

namespace Engine.Methods.Training.Data;

/// <summary>How rows are read and parsed.</summary>
public sealed record DatasetOptions
{
    /// <summary>Force a format instead of detecting it per record.</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;
    /// <summary>Skip malformed records (collected in the <see cref="DatasetReport"/>) instead of stopping at the first.</summary>
    public bool SkipBadRecords { get; init; }
    /// <summary>How many skipped records' messages the report keeps.</summary>
    public int MaxReportedErrors { get; init; } = 20;
}

/// <summary>
/// Files (JSONL, JSON arrays, Parquet, or folders of them) → <see cref="DataRecord"/> (the shared parser) → the SFT,
/// preference or KTO view → token-level examples, in file order. A malformed record — bad JSON, missing or mistyped
/// field, empty completion, a record of the wrong kind, a conversation the template cannot split — raises
/// <see cref="RecordFormatException"/> naming file and line, or with <see cref="DatasetOptions.SkipBadRecords"/> is
/// counted in the report and skipped.
/// </summary>
public static class TrainingDataset
{
    public static (List<SftExample> Examples, DatasetReport Report) LoadSft(IEnumerable<string> paths, ExampleTokenizer tokenizer, DatasetOptions? options = null)
    {
        var o = options ?? new DatasetOptions();
        var report = new DatasetReport(o.MaxReportedErrors);
        var list = Process(paths, o, report, record =>
        {
            var ex = tokenizer.ToSft(record.ToSft(), out var cut);
            if (cut) report.Truncated++;
            if (ex is null) report.DroppedNoLoss++;
            return ex;
        });
        return (list, report);
    }

    public static (List<PreferenceExample> Examples, DatasetReport Report) LoadPreference(IEnumerable<string> paths, ExampleTokenizer tokenizer, DatasetOptions? options = null)
    {
        var o = options ?? new DatasetOptions();
        var report = new DatasetReport(o.MaxReportedErrors);
        var list = Process(paths, o, report, record =>
        {
            var ex = tokenizer.ToPreference(record.ToPreference(), out var cut);
            if (cut) report.Truncated++;
            return ex;
        });
        return (list, report);
    }

    public static (List<KtoExample> Examples, DatasetReport Report) LoadKto(IEnumerable<string> paths, ExampleTokenizer tokenizer, DatasetOptions? options = null)
    {
        var o = options ?? new DatasetOptions();
        var report = new DatasetReport(o.MaxReportedErrors);
        var list = Process(paths, o, report, record =>
        {
            var ex = tokenizer.ToKto(record.ToKto(), out var cut);
            if (cut) report.Truncated++;
            return ex;
        });
        return (list, report);
    }

    private static List<T> Process<T>(IEnumerable<string> paths, DatasetOptions o, DatasetReport report, Func<DataRecord, T?> make) where T : class
    {
        var list = new List<T>();
        var read = new RecordReadOptions { Format = o.Format, SkipBadRecords = o.SkipBadRecords };
        foreach (var r in RecordReader.Read(paths, make, read, report.Reading))
        {
            if (r.Item is null) continue;
            list.Add(r.Item);
            report.Examples++;
        }
        return list;
    }
}
