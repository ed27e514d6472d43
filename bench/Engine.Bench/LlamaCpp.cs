using System.Runtime.InteropServices;

namespace Engine.Bench;

/// <summary>
/// llama.cpp's prebuilt CPU library, loaded from a folder given at run time (comparison only, never a dependency of
/// Engine). The folder is <c>bins/linux-x64</c> of <c>npm pack @node-llama-cpp/linux-x64@3.22.1</c>: libllama, libggml
/// and one libggml-cpu-*.so per CPU generation, of which ggml loads the best for this machine.
/// </summary>
/// <remarks>
/// The parameter structs are passed by value and change between llama.cpp versions, so they are never declared field by
/// field: the library's own defaults are fetched into a buffer larger than any version's struct, and only fields whose
/// place has not moved in years (n_ctx, n_batch, n_ubatch: the first three u32 of llama_context_params) are changed,
/// after checking they hold their documented defaults. Threads are set with llama_set_n_threads. A by-value struct
/// larger than 16 bytes travels on the stack in the x86-64 System V ABI and is the only stack argument of these calls,
/// so the callee reads its own struct size from the start of our larger buffer.
/// </remarks>
internal sealed unsafe class LlamaCpp : IDisposable
{
    private struct Params { public fixed byte Bytes[512]; }

    [StructLayout(LayoutKind.Sequential)]
    private struct Batch
    {
        public int NTokens;
        public int* Token;
        public float* Embd;
        public int* Pos;
        public int* NSeqId;
        public int** SeqId;
        public sbyte* Logits;
    }

    private readonly nint _llama, _ggml;
    private readonly delegate* unmanaged<Params> _contextDefaults;
    private readonly delegate* unmanaged<nint, Batch, int> _decode;
    private readonly delegate* unmanaged<nint, int, float*> _logitsIth;
    private readonly delegate* unmanaged<nint, float*> _logits;
    private readonly delegate* unmanaged<nint, nint> _memory;
    private readonly delegate* unmanaged<nint, byte, void> _memoryClear;
    private readonly nint _model, _ctx;
    private static readonly List<string> Log = [];

    public int Vocab { get; }
    public string SystemInfo { get; }
    /// <summary>ggml's log lines that say which CPU variant it loaded, and any errors.</summary>
    public static IReadOnlyList<string> LogLines => Log;

    public LlamaCpp(string libDir, string ggufPath, int contextTokens, int batchTokens, int threads, bool f32Cache)
    {
        string Find(string prefix) => Directory.EnumerateFiles(libDir, prefix + "*.so").OrderBy(f => f.Length).FirstOrDefault()
            ?? throw new FileNotFoundException($"{libDir}: no {prefix}*.so (unpack npm pack @node-llama-cpp/linux-x64 and pass its bins/linux-x64).");
        _ggml = NativeLibrary.Load(Find("libggml.v"));
        _llama = NativeLibrary.Load(Find("libllama.v"));
        static nint F(nint lib, string name) => NativeLibrary.GetExport(lib, name);

        ((delegate* unmanaged<delegate* unmanaged<int, byte*, nint, void>, nint, void>)F(_llama, "llama_log_set"))(&OnLog, 0);
        ((delegate* unmanaged<byte*, void>)F(_ggml, "ggml_backend_load_all_from_path"))((byte*)Marshal.StringToCoTaskMemUTF8(libDir));
        ((delegate* unmanaged<void>)F(_llama, "llama_backend_init"))();
        _contextDefaults = ((delegate* unmanaged<Params>)F(_llama, "llama_context_default_params"));
        _decode = ((delegate* unmanaged<nint, Batch, int>)F(_llama, "llama_decode"));
        _logitsIth = ((delegate* unmanaged<nint, int, float*>)F(_llama, "llama_get_logits_ith"));
        _logits = ((delegate* unmanaged<nint, float*>)F(_llama, "llama_get_logits"));
        _memory = ((delegate* unmanaged<nint, nint>)F(_llama, "llama_get_memory"));
        _memoryClear = ((delegate* unmanaged<nint, byte, void>)F(_llama, "llama_memory_clear"));

        var modelParams = ((delegate* unmanaged<Params>)F(_llama, "llama_model_default_params"))();
        var path = (byte*)Marshal.StringToCoTaskMemUTF8(ggufPath);
        _model = ((delegate* unmanaged<byte*, Params, nint>)F(_llama, "llama_model_load_from_file"))(path, modelParams);
        if (_model == 0) throw new InvalidOperationException($"llama.cpp could not load {ggufPath}: {string.Join(" | ", Log)}");

        var cp = _contextDefaults();
        var u = (uint*)&cp;
        if (u[0] != 512 || u[1] != 2048 || u[2] != 512 || u[3] != 1)
            throw new InvalidOperationException($"llama_context_params defaults are ({u[0]}, {u[1]}, {u[2]}, {u[3]}), not (512, 2048, 512, 1): unknown llama.cpp version.");
        u[0] = (uint)contextTokens; u[1] = (uint)batchTokens; u[2] = (uint)batchTokens;
        if (f32Cache)
        {
            // type_k, type_v (default GGML_TYPE_F16 = 1) follow the two null pointers cb_eval and cb_eval_user_data;
            // find that signature rather than trust one version's offset, and set both to GGML_TYPE_F32 = 0, the
            // precision of Engine's own KV cache.
            int at = -1;
            for (int o = 32; o + 24 <= 256 && at < 0; o += 8)
                if (*(ulong*)((byte*)u + o) == 0 && *(ulong*)((byte*)u + o + 8) == 0 && *(uint*)((byte*)u + o + 16) == 1 && *(uint*)((byte*)u + o + 20) == 1) at = o + 16;
            if (at < 0) throw new InvalidOperationException("llama_context_params: type_k/type_v not found; run with the f16 cache.");
            *(uint*)((byte*)u + at) = 0; *(uint*)((byte*)u + at + 4) = 0;
        }
        _ctx = ((delegate* unmanaged<nint, Params, nint>)F(_llama, "llama_init_from_model"))(_model, cp);
        if (_ctx == 0) throw new InvalidOperationException($"llama.cpp could not create a context: {string.Join(" | ", Log)}");
        ((delegate* unmanaged<nint, int, int, void>)F(_llama, "llama_set_n_threads"))(_ctx, threads, threads);
        Vocab = ((delegate* unmanaged<nint, int>)F(_llama, "llama_vocab_n_tokens"))(((delegate* unmanaged<nint, nint>)F(_llama, "llama_model_get_vocab"))(_model));
        SystemInfo = Marshal.PtrToStringUTF8((nint)((delegate* unmanaged<byte*>)F(_llama, "llama_print_system_info"))()) ?? "";
        _disposeModel = ((delegate* unmanaged<nint, void>)F(_llama, "llama_model_free"));
        _disposeCtx = ((delegate* unmanaged<nint, void>)F(_llama, "llama_free"));
    }

    private readonly delegate* unmanaged<nint, void> _disposeModel, _disposeCtx;

    [UnmanagedCallersOnly]
    private static void OnLog(int level, byte* text, nint user)
    {
        var s = Marshal.PtrToStringUTF8((nint)text)?.TrimEnd() ?? "";
        // GGML_LOG_LEVEL_ERROR = 4; the backend loader's "loaded CPU backend from …" names the variant in use, and the
        // KV cache's size line its element types (proof that the f32 cache request took effect).
        if (level == 4 || s.Contains("loaded CPU backend", StringComparison.Ordinal) || s.Contains("llama_kv_cache: size", StringComparison.Ordinal)
            || s.Contains("flash_attn", StringComparison.Ordinal)) lock (Log) Log.Add(s);
    }

    /// <summary>Drops the KV cache, so the next <see cref="Decode"/> starts a new sequence at position 0.</summary>
    public void Reset() => _memoryClear(_memory(_ctx), 1);

    /// <summary>Appends <paramref name="tokens"/> to the sequence; with <paramref name="allLogits"/> every position's logits
    /// are kept (scoring), otherwise only the last (generation).</summary>
    public void Decode(ReadOnlySpan<int> tokens, bool allLogits = false)
    {
        var flags = allLogits ? new sbyte[tokens.Length] : null;
        if (flags != null) Array.Fill(flags, (sbyte)1);
        fixed (int* t = tokens)
        fixed (sbyte* f = flags)
        {
            var batch = new Batch { NTokens = tokens.Length, Token = t, Logits = f };
            int rc = _decode(_ctx, batch);
            if (rc != 0) throw new InvalidOperationException($"llama_decode returned {rc}: {string.Join(" | ", Log)}");
        }
    }

    /// <summary>Logits of the last token of the last <see cref="Decode"/>.</summary>
    public ReadOnlySpan<float> LastLogits() => new(_logitsIth(_ctx, -1), Vocab);

    /// <summary>Logits of every position of the last <see cref="Decode"/> with allLogits, row after row.</summary>
    public ReadOnlySpan<float> AllLogits(int positions) => new(_logits(_ctx), checked(positions * Vocab));

    public void Dispose()
    {
        _disposeCtx(_ctx);
        _disposeModel(_model);
    }
}
