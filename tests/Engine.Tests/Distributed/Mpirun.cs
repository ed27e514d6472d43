using System.Diagnostics;

namespace Engine.Tests.Distributed;

/// <summary>Starts the built CLI under Open MPI's mpirun (as root too, oversubscribed, unbound, one thread per rank) with a hard timeout.</summary>
public static class Mpirun
{
    public static string EngineDll => Path.Combine(AppContext.BaseDirectory, "engine.dll");
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h : "dotnet";

    public static string Path_ =>
        new[] { "/usr/bin/mpirun", "/usr/local/bin/mpirun" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev); .ci/run does.");

    /// <summary>np ranks of `engine args...` (np 0: one plain process, no mpirun).</summary>
    public static ProcessStartInfo Start(int np, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        ProcessStartInfo psi;
        if (np == 0)
        {
            psi = new ProcessStartInfo(DotnetHost);
        }
        else
        {
            psi = new ProcessStartInfo(Path_);
            foreach (var a in new[] { "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", np.ToString(), "-x", "ENGINE_THREADS" })
                psi.ArgumentList.Add(a);
            foreach (var k in env?.Keys ?? []) { psi.ArgumentList.Add("-x"); psi.ArgumentList.Add(k); }
            psi.ArgumentList.Add(DotnetHost);
        }
        psi.ArgumentList.Add(EngineDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardError = true; psi.RedirectStandardOutput = true; psi.UseShellExecute = false;
        psi.Environment["ENGINE_THREADS"] = "1";
        psi.Environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"; // containers often forbid CMA
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return psi;
    }

    public static (int Code, string Out, string Err) Run(int np, IEnumerable<string> args, IDictionary<string, string>? env = null, int timeoutSeconds = 300)
    {
        using var p = Process.Start(Start(np, args, env))!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new TimeoutException($"`{string.Join(' ', args)}` on {np} ranks did not finish in {timeoutSeconds} s:\n{e.Result}");
        }
        return (p.ExitCode, o.Result, e.Result);
    }
}
