using Engine.Runtime;

namespace Engine.Diagnostics.OpCases;

/// <summary>
/// Every case on a backend against the CPU: the same inputs, <see cref="OpCase.Run"/> on the device, the CPU's answer
/// (<see cref="OpCase.Expected"/> or Run on the CPU), one row per output. A case whose op or dtype the backend does not
/// support (<see cref="BackendCapabilities.Supports"/>) is a skipped row, never silently absent.
/// </summary>
public static class ParityRunner
{
    public static IReadOnlyList<Row> Run(IEnumerable<OpCase> cases, Device device, ulong seed, Action<Row>? onRow = null)
    {
        if (device.IsCpu) throw new ArgumentException("Parity runs a backend against the CPU; for the CPU itself use the reference mode.", nameof(device));
        var backend = Backend.For(device);
        var name = device.ToString();
        var rows = new List<Row>();
        void Add(Row r) { rows.Add(r); onRow?.Invoke(r); }
        foreach (var c in cases)
        {
            if (!backend.Supports(c.Op, c.DType)) { Add(Row.Skip(c, name, Mode.Parity, $"{name} has no {c.Op} for {c.DType}")); continue; }
            Tensor[] inputs;
            IReadOnlyList<Output> want, got;
            try { inputs = c.Inputs(CaseData.SeedFor(c, seed)); want = Expected(c, inputs); }
            catch (Exception e) { Add(Row.Threw(c, "cpu", Mode.Parity, "the CPU side", e)); continue; }
            try { got = c.Run(CaseData.On(inputs, device)); }
            catch (Cases.CaseSkippedException e) { Add(Row.Skip(c, name, Mode.Parity, e.Message)); continue; }
            catch (Exception e) { Add(Row.Threw(c, name, Mode.Parity, name, e)); continue; }
            if (want.Count != got.Count)
            {
                Add(new Row(c.Family, c.Name, c.Shape, name, Mode.Parity, "-", double.NaN, 0, $"{got.Count} outputs on {name}, {want.Count} on the CPU"));
                continue;
            }
            for (int i = 0; i < got.Count; i++)
            {
                var o = got[i];
                double err;
                try { err = o.Check.Error(CaseData.Values(want[i].Value), CaseData.Values(o.Value)); }
                catch (Exception e) { Add(Row.Threw(c, name, Mode.Parity, $"comparing {o.Row}", e)); continue; }
                Add(new Row(c.Family, o.Row, o.Shape ?? c.Shape, name, Mode.Parity, o.Check.Metric, err, o.Check.Tolerance));
            }
        }
        return rows;
    }

    /// <summary>The CPU's outputs for a case: its own formula, or Run on the CPU (16-bit inputs widened when the CPU lacks the dtype).</summary>
    public static IReadOnlyList<Output> Expected(OpCase c, Tensor[] inputs)
    {
        if (c.Expected is { } e) return e(inputs);
        return c.Run(Backend.Cpu.Supports(c.Op, c.DType) ? inputs : CaseData.Widened(inputs));
    }
}
