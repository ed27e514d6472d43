using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Engine.Methods.Training.Checkpoints;

/// <summary>
/// &lt;out&gt;/checkpoint-&lt;step&gt; folders written atomically: everything goes into a hidden temp folder, every
/// file is fsynced, trainer_state.json is written last, then one rename publishes the folder (and the parent
/// directory is fsynced). A crash at any point leaves either the new complete checkpoint or none: the
/// previous ones stay loadable.
/// </summary>
public static partial class CheckpointStore
{
    public const string StateFile = "trainer_state.json";
    /// <summary>Test hook: milliseconds to pause half-way through writing a checkpoint (after the weights), so a test can kill the process there.</summary>
    public const string PauseEnvVar = "ENGINE_TEST_CHECKPOINT_PAUSE_MS";

    [GeneratedRegex(@"^checkpoint-(\d+)$")]
    private static partial Regex CheckpointName();

    public static string PathFor(string outputDir, long step) => Path.Combine(outputDir, $"checkpoint-{step}");

    /// <summary>Complete checkpoints (with trainer_state.json) under <paramref name="outputDir"/>, oldest first.</summary>
    public static IReadOnlyList<(long Step, string Dir)> List(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return [];
        var found = new List<(long, string)>();
        foreach (var d in Directory.EnumerateDirectories(outputDir))
        {
            var m = CheckpointName().Match(Path.GetFileName(d));
            if (m.Success && File.Exists(Path.Combine(d, StateFile))) found.Add((long.Parse(m.Groups[1].Value), d));
        }
        return found.OrderBy(x => x.Item1).ToList();
    }

    public static string? Latest(string outputDir) => List(outputDir) is { Count: > 0 } l ? l[^1].Dir : null;

    /// <summary>
    /// Write a checkpoint: <paramref name="writeBody"/> fills the temp folder (weights, optimizer, ...);
    /// <paramref name="writeState"/> writes trainer_state.json last. Returns the published folder.
    /// </summary>
    public static string Write(string outputDir, long step, Action<string> writeBody, Action<string> writeState, int keepLast = 0)
    {
        Directory.CreateDirectory(outputDir);
        var final = PathFor(outputDir, step);
        var tmp = Path.Combine(outputDir, $".tmp-checkpoint-{step}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        writeBody(tmp);
        if (Environment.GetEnvironmentVariable(PauseEnvVar) is { Length: > 0 } ms && int.TryParse(ms, out var pause) && pause > 0)
        {
            Console.Error.WriteLine($"checkpoint-pause {tmp}");
            Console.Error.Flush();
            Thread.Sleep(pause);
        }
        writeState(tmp);
        foreach (var f in Directory.EnumerateFiles(tmp, "*", SearchOption.AllDirectories)) FsyncFile(f);
        FsyncDirectory(tmp);
        if (Directory.Exists(final))
        {
            // Re-saving a step (e.g. a run restarted without --resume): move the old one aside first.
            var old = final + $".old-{Guid.NewGuid():N}";
            Directory.Move(final, old);
            Directory.Move(tmp, final);
            Directory.Delete(old, recursive: true);
        }
        else Directory.Move(tmp, final);
        FsyncDirectory(outputDir);
        if (keepLast > 0)
        {
            var all = List(outputDir);
            foreach (var (_, dir) in all.Take(Math.Max(0, all.Count - keepLast))) Directory.Delete(dir, recursive: true);
        }
        return final;
    }

    /// <summary>Remove temp folders left by a crash mid-write.</summary>
    public static void CleanPartial(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return;
        foreach (var d in Directory.EnumerateDirectories(outputDir, ".tmp-checkpoint-*"))
            try { Directory.Delete(d, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public static void FsyncFile(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        fs.Flush(flushToDisk: true);
    }

    /// <summary>fsync a directory so a rename in it is durable (POSIX; a no-op elsewhere).</summary>
    public static void FsyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        int fd = Native.open(dir, 0 /* O_RDONLY */);
        if (fd < 0) return;
        try { Native.fsync(fd); } finally { Native.close(fd); }
    }

    private static partial class Native
    {
        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int open(string path, int flags);
        [LibraryImport("libc")]
        internal static partial int fsync(int fd);
        [LibraryImport("libc")]
        internal static partial int close(int fd);
    }
}
