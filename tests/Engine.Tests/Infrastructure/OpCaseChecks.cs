using Engine.Diagnostics.OpCases;

namespace Engine.Tests.Infrastructure;

/// <summary>
/// The op table's CPU modes as xunit theories, one per case: each family's test folder lists its cases through these, so a
/// failing case is named in the test report. The device mode runs in EmulatorParityTests (one emulator run for all).
/// </summary>
public static class OpCaseChecks
{
    public const ulong Seed = 20261125;

    private static OpCase Find(string family, string key) => OpTable.All.Single(c => c.Family == family && c.Key == key);

    public static IEnumerable<object[]> WithReference(string family) =>
        OpTable.All.Where(c => c.Family == family && c.Reference is not null && !c.DeviceOnly).Select(c => new object[] { c.Key });

    public static IEnumerable<object[]> WithGradient(string family) =>
        OpTable.All.Where(c => c.Family == family && c.Gradient is not null && !c.DeviceOnly).Select(c => new object[] { c.Key });

    /// <summary>The CPU's outputs against the case's plain f64 reference.</summary>
    public static void Reference(string family, string key)
    {
        var rows = ReferenceRunner.Run([Find(family, key)], Seed);
        Assert.NotEmpty(rows);
        var failed = rows.Where(r => !r.Pass).Select(r => $"{r.Op} {r.Shape}: {r.Error:E2} > {r.Tolerance:E0} {r.Note}").ToArray();
        Assert.True(failed.Length == 0, string.Join('\n', failed));
    }

    /// <summary>The tape's gradient against f64 central differences.</summary>
    public static void Gradient(string family, string key)
    {
        var rows = GradientRunner.Run([Find(family, key)], Seed);
        Assert.NotEmpty(rows);
        var failed = rows.Where(r => !r.Pass).Select(r => $"{r.Op} {r.Shape}: worst |numeric − analytic| / (atol + rtol·|numeric|) = {r.Error:G3} {r.Note}").ToArray();
        Assert.True(failed.Length == 0, string.Join('\n', failed));
    }
}
