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
/// Files (JSONL/Parquet, or folders of them) → parsed records → token-level examples, in file order.
/// A malformed record — bad JSON, missing or mistyped field, empty completion, a conversation the template cannot
/// split — raises <see cref="RecordFormatException"/> naming file and line, or with
/// <see cref="DatasetOptions.SkipBadRecords"/> is counted in the report and skipped.
/// </summary>
public static class TrainingDataset
{
    public static (List<SftExample> Examples, DatasetReport Report) LoadSft(IEnumerable<string> paths, ExampleTokenizer tokenizer, DatasetOptions? options = null)
    {
        var o = options ?? new DatasetOptions();
        var report = new DatasetReport(o.MaxReportedErrors);
        var list = Process(paths, o, report, row =>
        {
            var ex = tokenizer.ToSft(RecordParser.ParseSft(row, o.Format), out var cut);
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
        var list = Process(paths, o, report, row =>
        {
            var ex = tokenizer.ToPreference(RecordParser.ParsePreference(row, o.Format), out var cut);
            if (cut) report.Truncated++;
            return ex;
        });
        return (list, report);
    }

    public static (List<KtoExample> Examples, DatasetReport Report) LoadKto(IEnumerable<string> paths, ExampleTokenizer tokenizer, DatasetOptions? options = null)
    {
        var o = options ?? new DatasetOptions();
        var report = new DatasetReport(o.MaxReportedErrors);
        var list = Process(paths, o, report, row =>
        {
            var ex = tokenizer.ToKto(RecordParser.ParseKto(row, o.Format), out var cut);
            if (cut) report.Truncated++;
            return ex;
        });
        return (list, report);
    }

    /// <summary>Every row of the files, malformed JSON lines skipped into the report when allowed.</summary>
    public static IEnumerable<DataRow> ReadRows(IEnumerable<string> paths, DatasetOptions options, DatasetReport report)
    {
        foreach (var path in paths)
            foreach (var row in DatasetFiles.Read(path, options.SkipBadRecords, report.AddSkipped))
            {
                report.RowsRead++;
                yield return row;
            }
    }

    private static List<T> Process<T>(IEnumerable<string> paths, DatasetOptions o, DatasetReport report, Func<DataRow, T?> make) where T : class
    {
        var list = new List<T>();
        foreach (var row in ReadRows(paths, o, report))
        {
            T? ex;
            try { ex = make(row); }
            catch (RecordFormatException e) when (o.SkipBadRecords) { report.AddSkipped(e); continue; }
            catch (FormatException e) when (e is not RecordFormatException)
            {
                // Template problems found while tokenising: give them the record's place like parse errors.
                var located = new RecordFormatException(row.Source, row.Line, e.Message, e);
                if (!o.SkipBadRecords) throw located;
                report.AddSkipped(located);
                continue;
            }
            if (ex is null) continue;
            list.Add(ex);
            report.Examples++;
        }
        return list;
    }
}
