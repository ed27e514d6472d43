using System.Reflection;
using System.Reflection.Emit;
using Engine.Methods.Core.Data;

namespace Engine.Tests.Architecture;

/// <summary>
/// The methods layer's rule, checked on the compiled assembly (IL and signatures, so no spelling of a name escapes it):
/// a method never uses another method; methods use Core, Training, Teachers and the model layer; Core uses nothing
/// above it; only Evaluation (testbed, experiments, default model) may use everything.
/// </summary>
public class MethodLayeringTests
{
    private static readonly Assembly Methods = typeof(DataRow).Assembly;

    /// <summary>The component a type belongs to: "Core", "Training", "Teachers", "Evaluation", or "Selection.SelectIT"-style for a method.</summary>
    public static string? ComponentOf(Type t)
    {
        while (t.DeclaringType is not null) t = t.DeclaringType;
        var ns = t.Namespace;
        if (ns is null || !ns.StartsWith("Engine.Methods.", StringComparison.Ordinal)) return null;
        var parts = ns["Engine.Methods.".Length..].Split('.');
        return parts[0] is "Selection" or "Curriculum" or "Synthesis" or "Pruning" or "Speech"
            ? (parts.Length > 1 ? parts[0] + "." + parts[1] : parts[0])
            : parts[0];
    }

    private static bool IsMethod(string c) => c.Contains('.');

    private static bool Allowed(string from, string to) => from == to || from switch
    {
        "Evaluation" => true,
        "Core" => false,
        "Training" or "Teachers" => to == "Core",
        _ when IsMethod(from) => to is "Core" or "Training" or "Teachers",
        _ => false,
    };

    /// <summary>Every (from-component, to-component, from-type, to-type) edge inside Engine.Methods.</summary>
    public static IEnumerable<(string From, string To, Type FromType, Type ToType)> Edges()
    {
        foreach (var t in Methods.GetTypes())
        {
            var from = ComponentOf(t);
            if (from is null) continue;
            foreach (var used in UsedTypes(t))
                if (ComponentOf(used) is { } to && to != from) yield return (from, to, t, used);
        }
    }

    [Fact]
    public void NoMethodUsesAnotherMethodAndLowerLayersDoNotReachUp()
    {
        var bad = Edges().Where(e => !Allowed(e.From, e.To))
            .Select(e => $"{e.FromType.FullName} ({e.From}) uses {e.ToType.FullName} ({e.To})").Distinct().ToList();
        Assert.True(bad.Count == 0, "Layering violations:\n" + string.Join("\n", bad.Take(20)));
    }

    [Fact]
    public void TheScannerSeesReferencesThatExist()
    {
        // Positive control: the experiments do use SelectIT and the testbed, and SelectIT does use Core;
        // if the IL scan saw nothing, the rule above would pass vacuously.
        var edges = Edges().Select(e => (e.From, e.To)).ToHashSet();
        Assert.Contains(("Evaluation", "Selection.SelectIT"), edges);
        Assert.Contains(("Selection.SelectIT", "Core"), edges);
        Assert.False(Allowed("Selection.SelectIT", "Curriculum.CommonIT"));
        Assert.False(Allowed("Core", "Training"));
    }

    // ---- what a type uses: signatures plus every type, method and field token in its IL ----

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<Type> UsedTypes(Type t)
    {
        var found = new HashSet<Type>();
        void Add(Type? x)
        {
            if (x is null) return;
            if (x.HasElementType) { Add(x.GetElementType()); return; }
            if (x.IsGenericType && !x.IsGenericTypeDefinition)
            {
                foreach (var a in x.GetGenericArguments()) Add(a);
                x = x.GetGenericTypeDefinition();
            }
            if (!x.IsGenericParameter) found.Add(x);
        }
        Add(t.BaseType);
        foreach (var i in t.GetInterfaces()) Add(i);
        foreach (var f in t.GetFields(All)) Add(f.FieldType);
        foreach (var p in t.GetProperties(All)) Add(p.PropertyType);
        foreach (var m in t.GetMethods(All).Cast<MethodBase>().Concat(t.GetConstructors(All)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var used in IlReferences(m)) Add(used);
        }
        return found;
    }

    private static IEnumerable<Type> IlReferences(MethodBase m)
    {
        var il = m.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var module = m.Module;
        Type[]? typeArgs = m.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = m.IsGenericMethod ? m.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            int size = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                int token = BitConverter.ToInt32(il, i);
                Type? used = null;
                try
                {
                    used = module.ResolveMember(token, typeArgs, methodArgs) switch
                    {
                        Type ty => ty,
                        MemberInfo mem => mem.DeclaringType,
                        _ => null,
                    };
                }
                catch (ArgumentException) { }
                if (used is not null) yield return used;
            }
            i += size;
        }
    }
}
