using System.Text;
using System.Text.RegularExpressions;

namespace Engine.Diagnostics.Kernels;

/// <summary>
/// Reads the kernels of a kernels/*.cu file from its text: every <c>extern "C" __global__ void NAME(...)</c>, with object-like
/// macros (<c>#define</c>, from the file and the headers) expanded in the parameter list and the launch bounds. A kernel
/// without <c>__launch_bounds__(N)</c> or with a parameter type the launchers cannot pass is an error naming it.
/// </summary>
public static partial class KernelSourceParser
{
    /// <summary>C scalar types a kernel may take, and the C# type passed for each (same size and representation).</summary>
    private static readonly Dictionary<string, string> Scalars = new(StringComparer.Ordinal)
    {
        ["int"] = "int", ["unsigned"] = "uint", ["unsigned int"] = "uint", ["u32"] = "uint",
        ["long long"] = "long", ["long long int"] = "long", ["unsigned long long"] = "ulong", ["unsigned long long int"] = "ulong", ["u64"] = "ulong",
        ["float"] = "float", ["double"] = "double",
    };

    /// <summary>Every kernel of every *.cu file in <paramref name="kernelsDir"/>, files in ordinal order.</summary>
    public static IReadOnlyList<KernelSignature> ParseDirectory(string kernelsDir)
    {
        var headers = Directory.GetFiles(kernelsDir, "*.cuh").Order(StringComparer.Ordinal).Select(File.ReadAllText).ToArray();
        return Directory.GetFiles(kernelsDir, "*.cu").Order(StringComparer.Ordinal)
            .SelectMany(f => Parse(Path.GetFileName(f), File.ReadAllText(f), headers)).ToArray();
    }

    /// <summary>The kernels of one file, in source order.</summary>
    public static IReadOnlyList<KernelSignature> Parse(string file, string source, IEnumerable<string> headers)
    {
        var macros = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var h in headers) CollectMacros(Clean(h), macros);
        var text = Clean(source);
        CollectMacros(text, macros);
        var kernels = new List<KernelSignature>();
        foreach (Match m in KernelHead().Matches(text))
        {
            string name = m.Groups["name"].Value;
            int open = m.Index + m.Length - 1, close = MatchingParen(text, open)
                ?? throw new FormatException($"kernels/{file}: the parameter list of {name} is not closed.");
            var bounds = Regex.Match(m.Groups["attrs"].Value, @"__launch_bounds__\s*\((?<n>[^)]*)\)");
            if (!bounds.Success)
                throw new FormatException($"kernels/{file}: {name} has no __launch_bounds__(N); every kernel states the block size it is launched with.");
            var blockText = Expand(bounds.Groups["n"].Value, macros).Trim().Trim('(', ')').Trim();
            if (!int.TryParse(blockText, out int block) || block < 1 || block > 1024)
                throw new FormatException($"kernels/{file}: {name}: __launch_bounds__({bounds.Groups["n"].Value}) is not a block size in [1, 1024] (expands to '{blockText}').");
            var parameters = SplitTopLevel(Expand(text[(open + 1)..close], macros)).Select(p => Parameter(file, name, p)).ToArray();
            kernels.Add(new KernelSignature(file, name, block, parameters));
        }
        return kernels;
    }

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+(?<attrs>(?:__launch_bounds__\s*\([^)]*\)\s*)?)(?<name>[A-Za-z_]\w*)\s*\(")]
    private static partial Regex KernelHead();

    [GeneratedRegex(@"^[ \t]*#[ \t]*define[ \t]+(?<name>[A-Za-z_]\w*)(?<body>(?:[ \t].*)?)$", RegexOptions.Multiline)]
    private static partial Regex Define();

    [GeneratedRegex(@"[A-Za-z_]\w*")]
    private static partial Regex Identifier();

    private static KernelParameter Parameter(string file, string kernel, string text)
    {
        var t = Regex.Replace(text, @"\s+", " ").Trim();
        var m = Regex.Match(t, @"^(?<type>.*?)(?<star>\*?)\s*(?<name>[A-Za-z_]\w*)$");
        if (!m.Success) throw new FormatException($"kernels/{file}: {kernel}: cannot read parameter '{t}'.");
        var type = Regex.Replace(m.Groups["type"].Value.Replace("__restrict__", ""), @"\s+", " ").Trim();
        bool pointer = m.Groups["star"].Value.Length > 0 || type.EndsWith('*');
        string cType = (type.TrimEnd('*', ' ') + (pointer ? "*" : "")).Trim();
        if (pointer) return new KernelParameter(cType, "CudaPointer", m.Groups["name"].Value);
        var bare = Regex.Replace(type.Replace("const", ""), @"\s+", " ").Trim();
        if (!Scalars.TryGetValue(bare, out var cs))
            throw new FormatException($"kernels/{file}: {kernel}: parameter '{t}' has type '{bare}', which the launchers cannot pass (use int, unsigned, long long, unsigned long long, float, double or a pointer).");
        return new KernelParameter(cType, cs, m.Groups["name"].Value);
    }

    /// <summary>Comments removed and backslash-continued lines joined, so a #define is one line.</summary>
    private static string Clean(string source)
    {
        var s = Regex.Replace(source, @"/\*.*?\*/", " ", RegexOptions.Singleline);
        s = Regex.Replace(s, @"//[^\n]*", "");
        return s.Replace("\\\r\n", " ").Replace("\\\n", " ");
    }

    private static void CollectMacros(string text, Dictionary<string, string> macros)
    {
        foreach (Match m in Define().Matches(text)) macros[m.Groups["name"].Value] = m.Groups["body"].Value.Trim();
    }

    /// <summary>Object-like macros replaced until none is left (bounded, so a cycle cannot hang the generator).</summary>
    private static string Expand(string text, Dictionary<string, string> macros)
    {
        for (int round = 0; round < 16; round++)
        {
            bool changed = false;
            text = Identifier().Replace(text, m =>
            {
                if (!macros.TryGetValue(m.Value, out var v)) return m.Value;
                changed = true;
                return v;
            });
            if (!changed) return text;
        }
        throw new FormatException($"macro expansion does not terminate in '{text}'.");
    }

    private static int? MatchingParen(string text, int open)
    {
        int depth = 0;
        for (int i = open; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')' && --depth == 0) return i;
        }
        return null;
    }

    private static IEnumerable<string> SplitTopLevel(string list)
    {
        int depth = 0, start = 0;
        var parts = new List<string>();
        for (int i = 0; i < list.Length; i++)
        {
            if (list[i] is '(' or '[' or '<') depth++;
            else if (list[i] is ')' or ']' or '>') depth--;
            else if (list[i] == ',' && depth == 0) { parts.Add(list[start..i]); start = i + 1; }
        }
        parts.Add(list[start..]);
        return parts.Select(p => p.Trim()).Where(p => p.Length > 0 && p != "void");
    }
}
