using System.Runtime.CompilerServices;

namespace Engine.Tests.Determinism;

/// <summary>
/// Runs code with the stack moved by a multiple of 16 bytes (the JIT's stack alignment), so a kernel's stack buffers
/// land at each of the four positions inside a 64-byte line, as they do on another thread or in another process
/// (the kernel randomises the main thread's stack start).
/// </summary>
internal static class StackShift
{
    public static readonly int[] Pads = [0, 16, 32, 48];

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static T Run<T>(int padBytes, Func<T> body)
    {
        Span<byte> pad = stackalloc byte[padBytes + 1];
        Touch(pad);
        return body();
    }

    /// <summary>Runs <paramref name="body"/> on a fresh thread (its own stack) shifted by <paramref name="padBytes"/>.</summary>
    public static T OnNewThread<T>(int padBytes, Func<T> body)
    {
        T result = default!;
        Exception? error = null;
        var th = new Thread(() =>
        {
            try { result = Run(padBytes, body); }
            catch (Exception e) { error = e; }
        }, 16 << 20);
        th.Start();
        th.Join();
        if (error is not null) throw new AggregateException(error);
        return result;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Touch(Span<byte> pad) => pad[^1] = 1;
}
