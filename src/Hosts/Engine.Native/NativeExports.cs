using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Engine.Models;
using Engine.Models.Generation;
using Engine.Models.Scoring;
using Engine.Runtime;

namespace Engine.Native;

/// <summary>
/// The C ABI of native/include/engine.h. Each export catches every exception (an exception must never cross into
/// C), records its message for engine_last_error and returns the documented failure value. A model handle is a
/// GCHandle to a <see cref="NativeModel"/>.
/// </summary>
public static unsafe class NativeExports
{
    private sealed class NativeModel(ModelBundle bundle)
    {
        public ModelBundle Bundle { get; } = bundle;
        public object Gate { get; } = new();
    }

    private static readonly byte* Version = Utf8Static(typeof(NativeExports).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "0.0.0");
    private static readonly byte* Empty = Utf8Static("");
    [ThreadStatic] private static IntPtr _lastError;

    private static byte* Utf8Static(string s) => (byte*)Marshal.StringToCoTaskMemUTF8(s);

    private static void SetError(Exception e)
    {
        if (_lastError != IntPtr.Zero) Marshal.FreeCoTaskMem(_lastError);
        _lastError = Marshal.StringToCoTaskMemUTF8($"{e.GetType().Name}: {e.Message}");
    }

    private static string Str(byte* p, string what) =>
        p == null ? throw new ArgumentNullException(what) : Marshal.PtrToStringUTF8((IntPtr)p) ?? "";

    private static NativeModel Model(IntPtr handle) =>
        handle == IntPtr.Zero ? throw new ArgumentNullException("model") : (NativeModel)(GCHandle.FromIntPtr(handle).Target ?? throw new ObjectDisposedException("model"));

    [UnmanagedCallersOnly(EntryPoint = "engine_version", CallConvs = [typeof(CallConvCdecl)])]
    public static byte* EngineVersion() => Version;

    [UnmanagedCallersOnly(EntryPoint = "engine_last_error", CallConvs = [typeof(CallConvCdecl)])]
    public static byte* EngineLastError() => _lastError == IntPtr.Zero ? Empty : (byte*)_lastError;

    [UnmanagedCallersOnly(EntryPoint = "engine_load_model", CallConvs = [typeof(CallConvCdecl)])]
    public static IntPtr EngineLoadModel(byte* path, byte* device)
    {
        try
        {
            var dev = device == null ? Device.Cpu : Device.Parse(Str(device, "device"));
            var bundle = ModelBundle.Load(Str(path, "path"), dev);
            return GCHandle.ToIntPtr(GCHandle.Alloc(new NativeModel(bundle)));
        }
        catch (Exception e) { SetError(e); return IntPtr.Zero; }
    }

    [UnmanagedCallersOnly(EntryPoint = "engine_score", CallConvs = [typeof(CallConvCdecl)])]
    public static int EngineScore(IntPtr model, byte* text, double* logprobSum, int* scoredTokens)
    {
        try
        {
            var m = Model(model);
            var s = Str(text, "text");
            ScoredSequence r;
            lock (m.Gate)
            {
                var ids = m.Bundle.Tokenizer.Encode(s, addSpecialTokens: true);
                r = new Scorer(m.Bundle.Model, batchSize: 1).Score([ids])[0];
            }
            if (logprobSum != null) *logprobSum = r.LogProbSum;
            if (scoredTokens != null) *scoredTokens = r.TokenLogProbs.Length;
            return 0;
        }
        catch (Exception e) { SetError(e); return -1; }
    }

    [UnmanagedCallersOnly(EntryPoint = "engine_generate", CallConvs = [typeof(CallConvCdecl)])]
    public static long EngineGenerate(IntPtr model, byte* prompt, int maxTokens, byte* output, long capacity)
    {
        try
        {
            var m = Model(model);
            if (maxTokens < 0) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "max_tokens must be ≥ 0.");
            if (capacity < 0 || (capacity > 0 && output == null)) throw new ArgumentException("out must hold out_capacity bytes.");
            var p = Str(prompt, "prompt");
            string text;
            lock (m.Gate)
            {
                var opts = m.Bundle.DefaultSampling with { MaxNewTokens = maxTokens, Temperature = 0, TopK = 0, TopP = 1, MinP = 0 };
                text = new TextGenerator(m.Bundle.Model, m.Bundle.Tokenizer).Generate([p], opts)[0].Text;
            }
            return WriteUtf8(text, output, capacity);
        }
        catch (Exception e) { SetError(e); return -1; }
    }

    [UnmanagedCallersOnly(EntryPoint = "engine_free", CallConvs = [typeof(CallConvCdecl)])]
    public static void EngineFree(IntPtr model)
    {
        if (model == IntPtr.Zero) return;
        try { GCHandle.FromIntPtr(model).Free(); }
        catch (Exception e) { SetError(e); }
    }

    /// <summary>snprintf-style: at most capacity-1 bytes (never splitting a UTF-8 sequence) and a NUL; returns the full length.</summary>
    internal static long WriteUtf8(string text, byte* output, long capacity)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        if (capacity > 0)
        {
            int n = (int)Math.Min(bytes.Length, capacity - 1);
            while (n > 0 && n < bytes.Length && (bytes[n] & 0xC0) == 0x80) n--; // back off to a character boundary
            bytes.AsSpan(0, n).CopyTo(new Span<byte>(output, n));
            output[n] = 0;
        }
        return bytes.Length;
    }
}
