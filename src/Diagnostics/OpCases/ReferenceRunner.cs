using Engine.Runtime;

namespace Engine.Diagnostics.OpCases;

/// <summary>The CPU backend against each case's plain reference (loops in f64): the check on the optimised CPU code.</summary>
public static class ReferenceRunner
{
    public static IReadOnlyList<Row> Run(IEnumerable<OpCase> cases, ulong seed, Action<Row>? onRow = null)
    {
        var rows = new List<Row>();
        void Add(Row r) { rows.Add(r); onRow?.Invoke(r); }
        foreach (var c in cases)
        {
            if (c.DeviceOnly || c.Reference is null) continue;
            IReadOnlyList<Output> cpu;
            IReadOnlyList<ReferenceOutput> refs;
            try
            {
                var inputs = c.Inputs(CaseData.SeedFor(c, seed));
                cpu = ParityRunner.Expected(c, inputs);
                refs = c.Reference(inputs);
            }
            catch (Exception e) { Add(Row.Threw(c, "cpu", Mode.Reference, "the case", e)); continue; }
            foreach (var r in refs)
            {
                var o = cpu.FirstOrDefault(x => x.Row == r.Row);
                if (o is null) { Add(new Row(c.Family, r.Row, c.Shape, "cpu", Mode.Reference, "-", double.NaN, r.Tolerance, "the case has no output of this name")); continue; }
                Add(new Row(c.Family, r.Row, o.Shape ?? c.Shape, "cpu", Mode.Reference, "rel", Metrics.RelError(r.Values, CaseData.Values(o.Value)), r.Tolerance));
            }
        }
        return rows;
    }
}
