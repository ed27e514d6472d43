using System.Text;

namespace Engine.Models.Chat.Jinja;

/// <summary>Variables visible while rendering; a for-loop body gets its own scope, as in Jinja.</summary>
sealed class Scope(Scope? parent)
{
    readonly Dictionary<string, object?> _vars = new(StringComparer.Ordinal);
    public Scope? Parent => parent;

    public object? Get(string name)
    {
        for (var s = this; s is not null; s = s.Parent)
            if (s._vars.TryGetValue(name, out var v)) return v;
        return Undefined.Instance;
    }

    public void Set(string name, object? value) => _vars[name] = value;
}

sealed class LoopControl(bool isBreak) : Exception { public bool IsBreak => isBreak; }

abstract class Node
{
    public abstract void Render(Scope scope, StringBuilder output);

    public static void RenderAll(List<Node> nodes, Scope scope, StringBuilder output)
    {
        foreach (var n in nodes) n.Render(scope, output);
    }
}

sealed class TextNode(string text) : Node
{
    public override void Render(Scope scope, StringBuilder output) => output.Append(text);
}

sealed class OutputNode(Expr expr) : Node
{
    public override void Render(Scope scope, StringBuilder output) => output.Append(Rt.ToStr(expr.Eval(scope)));
}

sealed class IfNode(List<(Expr Cond, List<Node> Body)> branches, List<Node>? elseBody) : Node
{
    public override void Render(Scope scope, StringBuilder output)
    {
        foreach (var (cond, body) in branches)
            if (Rt.Truthy(cond.Eval(scope))) { RenderAll(body, scope, output); return; }
        if (elseBody is not null) RenderAll(elseBody, scope, output);
    }
}

sealed class ForNode(string[] targets, Expr iterable, Expr? filter, List<Node> body, List<Node>? elseBody) : Node
{
    public override void Render(Scope scope, StringBuilder output)
    {
        var items = Rt.Iterate(iterable.Eval(scope));
        if (filter is not null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                var probe = new Scope(scope);
                Bind(probe, item);
                if (Rt.Truthy(filter.Eval(probe))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0) { if (elseBody is not null) RenderAll(elseBody, scope, output); return; }
        for (int i = 0; i < items.Count; i++)
        {
            var inner = new Scope(scope);
            Bind(inner, items[i]);
            inner.Set("loop", new Dictionary<string, object?>
            {
                ["index0"] = (long)i, ["index"] = (long)(i + 1), ["first"] = i == 0, ["last"] = i == items.Count - 1,
                ["length"] = (long)items.Count, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                ["previtem"] = i > 0 ? items[i - 1] : Undefined.Instance,
                ["nextitem"] = i + 1 < items.Count ? items[i + 1] : Undefined.Instance,
            });
            try { RenderAll(body, inner, output); }
            catch (LoopControl lc) { if (lc.IsBreak) break; }
        }
    }

    void Bind(Scope s, object? item)
    {
        if (targets.Length == 1) { s.Set(targets[0], item); return; }
        var parts = Rt.Iterate(item);
        if (parts.Count != targets.Length)
            throw new ChatTemplateException($"chat template: cannot unpack {parts.Count} values into ({string.Join(", ", targets)})");
        for (int k = 0; k < targets.Length; k++) s.Set(targets[k], parts[k]);
    }
}

sealed class SetNode(string name, string? attribute, Expr value) : Node
{
    public override void Render(Scope scope, StringBuilder output)
    {
        var v = value.Eval(scope);
        if (attribute is null) { scope.Set(name, v); return; }
        if (scope.Get(name) is Namespace ns) ns[attribute] = v;
        else throw new ChatTemplateException($"chat template: cannot set '{name}.{attribute}': '{name}' is not a namespace()");
    }
}

sealed class SetBlockNode(string name, List<Node> body) : Node
{
    public override void Render(Scope scope, StringBuilder output)
    {
        var sb = new StringBuilder();
        RenderAll(body, scope, sb);
        scope.Set(name, sb.ToString());
    }
}

sealed class BodyNode(List<Node> body) : Node
{
    public override void Render(Scope scope, StringBuilder output) => RenderAll(body, scope, output);
}

sealed class LoopControlNode(bool isBreak) : Node
{
    public override void Render(Scope scope, StringBuilder output) => throw new LoopControl(isBreak);
}

// ---- expressions ----

abstract class Expr
{
    public abstract object? Eval(Scope scope);
}

sealed class ConstExpr(object? value) : Expr
{
    public object? Value => value;
    public override object? Eval(Scope scope) => value;
}

sealed class NameExpr(string name) : Expr
{
    public override object? Eval(Scope scope) => scope.Get(name);
}

sealed class ListExpr(List<Expr> items) : Expr
{
    public override object? Eval(Scope scope) => items.Select(i => i.Eval(scope)).ToList();
}

sealed class DictExpr(List<(Expr Key, Expr Value)> items) : Expr
{
    public override object? Eval(Scope scope)
    {
        var d = new Dictionary<string, object?>();
        foreach (var (k, v) in items) d[Rt.ToStr(k.Eval(scope))] = v.Eval(scope);
        return d;
    }
}

sealed class AttrExpr(Expr target, string name) : Expr
{
    public override object? Eval(Scope scope) => Rt.GetAttr(target.Eval(scope), name);
}

sealed class ItemExpr(Expr target, Expr key) : Expr
{
    public override object? Eval(Scope scope) => Rt.GetItem(target.Eval(scope), key.Eval(scope));
}

sealed class SliceExpr(Expr target, Expr? start, Expr? stop, Expr? step) : Expr
{
    public override object? Eval(Scope scope) =>
        Rt.Slice(target.Eval(scope), start?.Eval(scope), stop?.Eval(scope), step?.Eval(scope));
}

sealed class CallExpr(Expr callee, List<Expr> args, List<(string Name, Expr Value)> kwargs) : Expr
{
    public override object? Eval(Scope scope)
    {
        var f = callee.Eval(scope) as JinjaFunction
            ?? throw new ChatTemplateException($"chat template: {Describe(callee)} is not callable");
        return f.Invoke(args.Select(a => a.Eval(scope)).ToList(), kwargs.ToDictionary(k => k.Name, k => k.Value.Eval(scope)));
    }

    static string Describe(Expr e) => e switch { NameExpr n => $"'{n.Eval(new Scope(null))}'", AttrExpr => "attribute", _ => "expression" };
}

sealed class FilterExpr(Expr target, string name, List<Expr> args, List<(string Name, Expr Value)> kwargs) : Expr
{
    public override object? Eval(Scope scope) =>
        Filters.Apply(name, target.Eval(scope), args.Select(a => a.Eval(scope)).ToList(), kwargs.ToDictionary(k => k.Name, k => k.Value.Eval(scope)));
}

sealed class TestExpr(Expr target, string name, List<Expr> args, bool negate) : Expr
{
    public override object? Eval(Scope scope) =>
        Filters.Test(name, target.Eval(scope), args.Select(a => a.Eval(scope)).ToList()) != negate;
}

sealed class UnaryExpr(string op, Expr operand) : Expr
{
    public override object? Eval(Scope scope)
    {
        var v = operand.Eval(scope);
        return op switch
        {
            "not" => !Rt.Truthy(v),
            "-" => v switch { long l => (object)(-l), double d => -d, _ => throw new ChatTemplateException("chat template: unary '-' needs a number") },
            _ => v,
        };
    }
}

sealed class BinaryExpr(string op, Expr left, Expr right) : Expr
{
    public override object? Eval(Scope scope)
    {
        if (op == "and") { var l = left.Eval(scope); return Rt.Truthy(l) ? right.Eval(scope) : l; }
        if (op == "or") { var l = left.Eval(scope); return Rt.Truthy(l) ? l : right.Eval(scope); }
        return Rt.Binary(op, left.Eval(scope), right.Eval(scope));
    }
}

sealed class CondExpr(Expr cond, Expr then, Expr? otherwise) : Expr
{
    public override object? Eval(Scope scope) =>
        Rt.Truthy(cond.Eval(scope)) ? then.Eval(scope) : otherwise is null ? Undefined.Instance : otherwise.Eval(scope);
}
