using System.Runtime.InteropServices;
using System.Text;

namespace Engine.Models.Tokenizers;

/// <summary>
/// NFC/NFD/NFKC/NFKD for tokenizer normalizers. The hosts run with InvariantGlobalization, where
/// string.Normalize does not compose or decompose, so this calls the system ICU (libicuuc, probed by
/// version) directly; without ICU it falls back to string.Normalize.
/// </summary>
static unsafe class UnicodeNormalization
{
    static readonly delegate* unmanaged<int*, nint>[] Getters = new delegate* unmanaged<int*, nint>[4];
    static readonly delegate* unmanaged<nint, char*, int, char*, int, int*, int> NormalizeFn;
    static readonly nint[] Instances = new nint[4];

    public static bool HasIcu { get; }

    static UnicodeNormalization()
    {
        string[] names = ["unorm2_getNFCInstance", "unorm2_getNFDInstance", "unorm2_getNFKCInstance", "unorm2_getNFKDInstance"];
        foreach (var (lib, suffix) in Candidates())
        {
            if (!NativeLibrary.TryLoad(lib, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "unorm2_normalize" + suffix, out var normalize)) continue;
            var getters = new nint[4];
            bool ok = true;
            for (int i = 0; i < 4 && ok; i++) ok = NativeLibrary.TryGetExport(handle, names[i] + suffix, out getters[i]);
            if (!ok) continue;
            NormalizeFn = (delegate* unmanaged<nint, char*, int, char*, int, int*, int>)normalize;
            for (int i = 0; i < 4; i++)
            {
                int err = 0;
                Instances[i] = ((delegate* unmanaged<int*, nint>)getters[i])(&err);
                if (err > 0) { ok = false; break; }
            }
            HasIcu = ok;
            if (ok) return;
        }
    }

    static IEnumerable<(string Lib, string Suffix)> Candidates()
    {
        for (int v = 90; v >= 50; v--) yield return ($"libicuuc.so.{v}", $"_{v}");
        yield return ("libicuuc.so", "");
        yield return ("libicuuc.dylib", "");
        yield return ("icuuc.dll", "");
    }

    /// <param name="form">0 NFC, 1 NFD, 2 NFKC, 3 NFKD.</param>
    public static string Normalize(string s, int form)
    {
        if (s.Length == 0) return s;
        if (form == 0 && IsBelowCombiningMarks(s)) return s;   // no character below U+0300 changes under NFC
        if (!HasIcu)
            return s.Normalize(form switch { 0 => NormalizationForm.FormC, 1 => NormalizationForm.FormD, 2 => NormalizationForm.FormKC, _ => NormalizationForm.FormKD });
        int capacity = s.Length * 3 + 16;
        while (true)
        {
            var dest = new char[capacity];
            int err = 0, len;
            fixed (char* src = s)
            fixed (char* dst = dest)
                len = NormalizeFn(Instances[form], src, s.Length, dst, capacity, &err);
            if (err == 15 /* U_BUFFER_OVERFLOW_ERROR */) { capacity = len + 16; continue; }
            if (err > 0) throw new InvalidOperationException($"ICU unorm2_normalize failed with error {err}");
            return new string(dest, 0, len);
        }
    }

    static bool IsBelowCombiningMarks(string s)
    {
        foreach (char c in s) if (c >= '\u0300') return false;
        return true;
    }
}
