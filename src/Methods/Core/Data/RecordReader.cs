namespace Engine.Methods.Core.Data;

/// <summary>A record a reader accepted: its 0-based index among the accepted records, the parsed record and the caller's view of it.</summary>
public readonly record struct IndexedRecord<T>(long Index, DataRecord Record, T Item);

/// <summary>How records are read.</summary>
public sealed record RecordReadOptions
{
    /// <summary>Force a format instead of detecting it per record.</summary>
    public DatasetFormat Format { get; init; } = DatasetFormat.Auto;
    /// <summary>Skip every kind of bad record into the <see cref="ReadReport"/> instead of stopping at the first.</summary>
    public bool SkipBadRecords { get; init; }
}

/// <summary>
/// Files → rows → <see cref="DataRecord"/> → the caller's view, in input order. A record is bad when its line is not a
/// JSON object, when parsing fails (missing or mistyped field, empty completion, ...) or when the view rejects it
/// (throws <see cref="RecordFormatException"/>, or a <see cref="FormatException"/> that is then located at the record).
/// Bad records throw, or with <see cref="RecordReadOptions.SkipBadRecords"/> go to the report and get no index:
/// indexes count accepted records only, so every reader of the same input with the same view numbers them the same.
/// </summary>
public static class RecordReader
{
    public static IEnumerable<IndexedRecord<T>> Read<T>(IEnumerable<string> paths, Func<DataRecord, T> view, RecordReadOptions? options = null, ReadReport? report = null)
    {
        var o = options ?? new RecordReadOptions();
        report ??= new ReadReport();
        long index = 0;
        foreach (var path in paths)
            foreach (var row in DatasetFiles.Read(path, o.SkipBadRecords, e => { report.RowsRead++; report.AddSkipped(e); }))
            {
                report.RowsRead++;
                T item;
                DataRecord record;
                try
                {
                    record = DataRecord.Parse(row, o.Format);
                    item = view(record);
                }
                catch (FormatException e)
                {
                    // Template problems found by a view (e.g. while tokenising) get the record's place like parse errors.
                    var located = e as RecordFormatException ?? new RecordFormatException(row.Source, row.Line, e.Message, e);
                    if (!o.SkipBadRecords) throw located;
                    report.AddSkipped(located);
                    continue;
                }
                yield return new IndexedRecord<T>(index++, record, item);
            }
    }

    /// <summary><see cref="Read{T}(IEnumerable{string}, Func{DataRecord, T}, RecordReadOptions?, ReadReport?)"/> of one file or folder.</summary>
    public static IEnumerable<IndexedRecord<T>> Read<T>(string path, Func<DataRecord, T> view, RecordReadOptions? options = null, ReadReport? report = null) =>
        Read([path], view, options, report);
}
