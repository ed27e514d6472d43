using System.Diagnostics;

namespace Engine.Methods.Evaluation.Speech;

/// <summary>The two Debian tools the speech testbed runs: espeak-ng (text → speech) and sox (resampling).</summary>
internal static class SpeechSynthesisTools
{
    public static void Run(string exe, IEnumerable<string> args, string what)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}"); }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"The speech testbed needs '{exe}' on PATH to {what} (Debian: apt-get install espeak-ng sox).");
        }
        using (p)
        {
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} failed ({what}), exit {p.ExitCode}: {err.Result.Trim()}");
        }
    }
}
