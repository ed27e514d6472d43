using Engine.Runtime;

namespace Engine.Tests.Cuda;

public static partial class EmulatorInside
{
    /// <summary>
    /// Out-of-range ids on cuda:0 and on the CPU: for each call, the CUDA error message, then the CPU's, then (last) the
    /// loss of a valid batch computed on cuda:0 right after the errors (the device must still work). A call that does not
    /// throw reports "no error" with the value it returned.
    /// </summary>
    public static string[] OutOfRangeIds(string lib)
    {
        Device0(lib);
        var cuda = Engine.Runtime.Device.Cuda(0);
        var logits = Tensor.RandN([5, 1000], 3);
        var bad64 = Tensor.FromArray(new long[] { 3, -100, 999, 1000, 7 }, 5);   // row 3 is past the vocabulary
        var bad32 = Tensor.FromArray(new[] { 3, 7, -1, 0, 1 }, 5);               // row 2 is negative and not ignored
        var table = Tensor.RandN([10, 6], 4);
        var badIds = Tensor.FromArray(new long[] { 1, 2, 10, 3 }, 2, 2);
        var calls = new (string Name, Func<Device, Tensor> Call)[]
        {
            ("CrossEntropy I64", d => Ops.CrossEntropy(logits.To(d), bad64.To(d))),
            ("CrossEntropy I32", d => Ops.CrossEntropy(logits.To(d), bad32.To(d))),
            ("TokenLogProbs", d => Ops.TokenLogProbs(logits.To(d), bad64.To(d))),
            ("Embedding", d => Ops.Embedding(table.To(d), badIds.To(d))),
        };
        var messages = new List<string>();
        foreach (var (name, call) in calls)
            foreach (var d in new[] { cuda, Engine.Runtime.Device.Cpu })
            {
                try { var y = call(d); messages.Add($"{name} on {d}: no error, returned {string.Join(", ", y.ToDoubleArray().Take(5))}"); }
                catch (ArgumentOutOfRangeException e) { messages.Add($"{name}: {e.Message}"); }
            }
        var good = Tensor.FromArray(new long[] { 3, -100, 999, 0, 7 }, 5);
        messages.Add(Ops.CrossEntropy(logits.To(cuda), good.To(cuda)).Item().ToString("R"));
        messages.Add(Ops.CrossEntropy(logits, good).Item().ToString("R"));
        return messages.ToArray();
    }
}
