using System.Runtime.InteropServices;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Places machine code in its own page and makes it executable (Linux x64: mmap read+write, copy, then mprotect
/// read+execute, so the page is never writable and executable at once). The pages live for the process.
/// Returns null where that is not possible (another OS, a libc that cannot be loaded, a refused mprotect), and the
/// caller falls back to managed code.
/// </summary>
internal static unsafe partial class ExecutableCode
{
    private const int ProtRead = 1, ProtWrite = 2, ProtExec = 4;
    private const int MapPrivate = 0x02, MapAnonymous = 0x20;

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial void* mmap(void* addr, nuint length, int prot, int flags, int fd, nint offset);

    [LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int mprotect(void* addr, nuint length, int prot);

    /// <summary>Why the last Load returned null (for diagnostics and tests).</summary>
    public static string? LastError { get; private set; }

    public static void* Load(ReadOnlySpan<byte> code)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            LastError = "executable code pages are implemented for Linux x64 only";
            return null;
        }
        try
        {
            nuint size = (nuint)((code.Length + 4095) & ~4095);
            void* page = mmap(null, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
            if (page == (void*)-1) { LastError = $"mmap failed (errno {Marshal.GetLastPInvokeError()})"; return null; }
            code.CopyTo(new Span<byte>(page, code.Length));
            if (mprotect(page, size, ProtRead | ProtExec) != 0) { LastError = $"mprotect failed (errno {Marshal.GetLastPInvokeError()})"; return null; }
            return page;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            LastError = $"libc not usable: {e.Message}";
            return null;
        }
    }
}
