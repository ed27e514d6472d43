namespace Engine.Tests.Cuda;

/// <summary>
/// One run of the whole op table on the emulated device, shared by the tests that read it (rows, kernel coverage, the
/// rows of the suite it replaced): the run takes about a minute, so it happens once per test process.
/// </summary>
public sealed record EmulatorTable(string[] Rows, string[] Launched)
{
    public const ulong Seed = 20261125;

    private static readonly Lazy<EmulatorTable> Run = new(() =>
    {
        var r = CudaEmulator.Inside<object[]>(nameof(EmulatorInside.OpTable), Seed, "");
        return new EmulatorTable((string[])r[0], (string[])r[1]);
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public static EmulatorTable Full => Run.Value;

    /// <summary>(op, shape) of each row.</summary>
    public IEnumerable<(string Op, string Shape)> Keys => Rows.Select(r => r.Split('\t')).Select(p => (p[0], p[1]));
}
