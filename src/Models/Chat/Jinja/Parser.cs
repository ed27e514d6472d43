namespace Engine.Models.Chat.Jinja;

/// <summary>Builds the node tree of a template: statements from the chunk list, expressions by
/// recursive descent with Jinja's precedence (or &lt; and &lt; not &lt; compare &lt; +,- &lt; ~ &lt; *,/,//,% &lt; ** &lt; unary,
/// with filters, tests, calls, attributes and subscripts binding tightest).</summary>
sealed class Parser
{
    readonly List<Chunk> _chunks;
    int _pos;

    Parser(List<Chunk> chunks) { _chunks = chunks; }

    public static List<Node> Parse(string source)
    {
        var p = new Parser(TemplateLexer.Lex(source));
        var body = p.ParseBody([], out var end);
        if (end is not null) throw new ChatTemplateException($"chat template: unexpected '{{% {end} %}}'");
        return body;
    }

    /// <summary>Parses nodes until a statement whose first word is in <paramref name="stops"/>.</summary>
    List<Node> ParseBody(string[] stops, out string? stoppedAt)
    {
        var nodes = new List<Node>();
        while (_pos < _chunks.Count)
        {
            var c = _chunks[_pos];
            if (c.Kind == ChunkKind.Text) { nodes.Add(new TextNode(c.Content)); _pos++; continue; }
            if (c.Kind == ChunkKind.Output) { nodes.Add(new OutputNode(ParseExpression(c))); _pos++; continue; }
            string word = FirstWord(c.Content);
            if (Array.IndexOf(stops, word) >= 0) { stoppedAt = word; return nodes; }
            _pos++;
            nodes.Add(ParseStatement(c, word));
        }
        stoppedAt = null;
        if (stops.Length > 0) throw new ChatTemplateException($"chat template: missing '{{% {stops[^1]} %}}' at end of template");
        return nodes;
    }

    static string FirstWord(string s)
    {
        int i = 0;
        while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] == '_')) i++;
        return s[..i];
    }

    Node ParseStatement(Chunk c, string word)
    {
        var e = new ExprParser(ExprLexer.Lex(c.Content, c.Line), c.Line);
        e.ExpectName(word);
        switch (word)
        {
            case "if":
            {
                var branches = new List<(Expr, List<Node>)>();
                var cond = e.ParseExpr();
                e.ExpectEnd();
                List<Node>? elseBody = null;
                while (true)
                {
                    var body = ParseBody(["elif", "else", "endif"], out var stop);
                    branches.Add((cond, body));
                    var tag = _chunks[_pos++];
                    if (stop == "endif") break;
                    if (stop == "else") { elseBody = ParseBody(["endif"], out _); _pos++; break; }
                    var ee = new ExprParser(ExprLexer.Lex(tag.Content, tag.Line), tag.Line);
                    ee.ExpectName("elif");
                    cond = ee.ParseExpr();
                    ee.ExpectEnd();
                }
                return new IfNode(branches, elseBody);
            }
            case "for":
            {
                var targets = new List<string> { e.ExpectAnyName() };
                while (e.TryOp(",")) targets.Add(e.ExpectAnyName());
                e.ExpectName("in");
                var iter = e.ParseExpr(allowConditional: false);
                Expr? filter = null;
                if (e.TryName("if")) filter = e.ParseExpr(allowConditional: false);
                e.TryName("recursive");
                e.ExpectEnd();
                var body = ParseBody(["else", "endfor"], out var stop);
                _pos++;
                List<Node>? elseBody = null;
                if (stop == "else") { elseBody = ParseBody(["endfor"], out _); _pos++; }
                return new ForNode(targets.ToArray(), iter, filter, body, elseBody);
            }
            case "set":
            {
                string name = e.ExpectAnyName();
                string? attr = e.TryOp(".") ? e.ExpectAnyName() : null;
                if (e.AtEnd)
                {
                    var body = ParseBody(["endset"], out _);
                    _pos++;
                    return new SetBlockNode(name, body);
                }
                e.ExpectOp("=");
                var value = e.ParseExpr();
                e.ExpectEnd();
                return new SetNode(name, attr, value);
            }
            case "break": return new LoopControlNode(true);
            case "continue": return new LoopControlNode(false);
            case "generation":
            {
                var body = ParseBody(["endgeneration"], out _);
                _pos++;
                return new BodyNode(body);
            }
            default:
                throw new ChatTemplateException($"chat template line {c.Line}: unsupported statement '{{% {c.Content} %}}'");
        }
    }

    static Expr ParseExpression(Chunk c)
    {
        var e = new ExprParser(ExprLexer.Lex(c.Content, c.Line), c.Line);
        var expr = e.ParseExpr();
        e.ExpectEnd();
        return expr;
    }
}

sealed class ExprParser(List<Tok> toks, int line)
{
    int _i;

    Tok Peek => toks[_i];
    public bool AtEnd => Peek.Kind == TokKind.End;

    ChatTemplateException Error(string what) =>
        new($"chat template line {line}: {what} (at '{string.Join(" ", toks.Skip(_i).Select(t => t.Text))}')");

    public void ExpectEnd() { if (!AtEnd) throw Error("unexpected tokens"); }
    public bool TryOp(string op) { if (Peek.Kind == TokKind.Op && Peek.Text == op) { _i++; return true; } return false; }
    public void ExpectOp(string op) { if (!TryOp(op)) throw Error($"expected '{op}'"); }
    bool IsName(string n) => Peek.Kind == TokKind.Name && Peek.Text == n;
    public bool TryName(string n) { if (IsName(n)) { _i++; return true; } return false; }
    public void ExpectName(string n) { if (!TryName(n)) throw Error($"expected '{n}'"); }
    public string ExpectAnyName() => Peek.Kind == TokKind.Name ? toks[_i++].Text : throw Error("expected a name");

    public Expr ParseExpr(bool allowConditional = true)
    {
        var e = ParseOr();
        if (allowConditional && IsName("if"))
        {
            _i++;
            var cond = ParseOr();
            Expr? otherwise = TryName("else") ? ParseExpr() : null;
            return new CondExpr(cond, e, otherwise);
        }
        return e;
    }

    Expr ParseOr()
    {
        var e = ParseAnd();
        while (TryName("or")) e = new BinaryExpr("or", e, ParseAnd());
        return e;
    }

    Expr ParseAnd()
    {
        var e = ParseNot();
        while (TryName("and")) e = new BinaryExpr("and", e, ParseNot());
        return e;
    }

    Expr ParseNot() => TryName("not") ? new UnaryExpr("not", ParseNot()) : ParseCompare();

    Expr ParseCompare()
    {
        var e = ParseMath1();
        while (true)
        {
            if (Peek.Kind == TokKind.Op && Peek.Text is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                string op = toks[_i++].Text;
                e = new BinaryExpr(op, e, ParseMath1());
            }
            else if (TryName("in")) e = new BinaryExpr("in", e, ParseMath1());
            else if (IsName("not") && toks[_i + 1].Kind == TokKind.Name && toks[_i + 1].Text == "in")
            {
                _i += 2;
                e = new UnaryExpr("not", new BinaryExpr("in", e, ParseMath1()));
            }
            else return e;
        }
    }

    Expr ParseMath1()
    {
        var e = ParseConcat();
        while (Peek.Kind == TokKind.Op && Peek.Text is "+" or "-") { string op = toks[_i++].Text; e = new BinaryExpr(op, e, ParseConcat()); }
        return e;
    }

    Expr ParseConcat()
    {
        var e = ParseMath2();
        while (TryOp("~")) e = new BinaryExpr("~", e, ParseMath2());
        return e;
    }

    Expr ParseMath2()
    {
        var e = ParsePow();
        while (Peek.Kind == TokKind.Op && Peek.Text is "*" or "/" or "//" or "%") { string op = toks[_i++].Text; e = new BinaryExpr(op, e, ParsePow()); }
        return e;
    }

    Expr ParsePow()
    {
        var e = ParseUnary();
        while (TryOp("**")) e = new BinaryExpr("**", e, ParseUnary());
        return e;
    }

    Expr ParseUnary()
    {
        Expr e;
        if (TryOp("-")) e = new UnaryExpr("-", ParseUnary());
        else if (TryOp("+")) e = ParseUnary();
        else e = ParsePostfix(ParsePrimary());
        return ParseFilters(e);
    }

    Expr ParseFilters(Expr e)
    {
        while (true)
        {
            if (TryOp("|"))
            {
                string name = ExpectAnyName();
                var (args, kwargs) = Peek.Kind == TokKind.Op && Peek.Text == "(" ? ParseCallArgs() : ([], []);
                e = ParsePostfix(new FilterExpr(e, name, args, kwargs));
            }
            else if (TryName("is"))
            {
                bool negate = TryName("not");
                string name = ExpectAnyName();
                var args = new List<Expr>();
                if (Peek.Kind == TokKind.Op && Peek.Text == "(") args = ParseCallArgs().Args;
                else if (Peek.Kind is TokKind.String or TokKind.Int or TokKind.Float) args.Add(ParsePrimary());
                e = new TestExpr(e, name, args, negate);
            }
            else return e;
        }
    }

    Expr ParsePostfix(Expr e)
    {
        while (true)
        {
            if (TryOp(".")) e = new AttrExpr(e, Peek.Kind is TokKind.Name or TokKind.Int ? toks[_i++].Text : throw Error("expected attribute name"));
            else if (TryOp("["))
            {
                Expr? a = null, b = null, c = null;
                if (!(Peek.Kind == TokKind.Op && Peek.Text == ":")) a = ParseExpr();
                if (TryOp(":"))
                {
                    if (!(Peek.Kind == TokKind.Op && Peek.Text is "]" or ":")) b = ParseExpr();
                    if (TryOp(":") && !(Peek.Kind == TokKind.Op && Peek.Text == "]")) c = ParseExpr();
                    ExpectOp("]");
                    e = new SliceExpr(e, a, b, c);
                }
                else { ExpectOp("]"); e = new ItemExpr(e, a!); }
            }
            else if (Peek.Kind == TokKind.Op && Peek.Text == "(")
            {
                var (args, kwargs) = ParseCallArgs();
                e = new CallExpr(e, args, kwargs);
            }
            else return e;
        }
    }

    (List<Expr> Args, List<(string, Expr)> Kwargs) ParseCallArgs()
    {
        ExpectOp("(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!TryOp(")"))
        {
            if (Peek.Kind == TokKind.Name && toks[_i + 1].Kind == TokKind.Op && toks[_i + 1].Text == "=")
            {
                string name = toks[_i].Text;
                _i += 2;
                kwargs.Add((name, ParseExpr()));
            }
            else args.Add(ParseExpr());
            if (!TryOp(",")) { ExpectOp(")"); break; }
        }
        return (args, kwargs);
    }

    Expr ParsePrimary()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokKind.String:
            {
                _i++;
                string s = (string)t.Value!;
                while (Peek.Kind == TokKind.String) s += (string)toks[_i++].Value!;   // adjacent literals concatenate
                return new ConstExpr(s);
            }
            case TokKind.Int:
            case TokKind.Float:
                _i++;
                return new ConstExpr(t.Value);
            case TokKind.Name:
                _i++;
                return t.Text switch
                {
                    "true" or "True" => new ConstExpr(true),
                    "false" or "False" => new ConstExpr(false),
                    "none" or "None" => new ConstExpr(null),
                    _ => new NameExpr(t.Text),
                };
            case TokKind.Op when t.Text == "(":
            {
                _i++;
                if (TryOp(")")) return new ListExpr([]);
                var first = ParseExpr();
                if (TryOp(")")) return first;
                var items = new List<Expr> { first };
                while (TryOp(",")) { if (Peek.Kind == TokKind.Op && Peek.Text == ")") break; items.Add(ParseExpr()); }
                ExpectOp(")");
                return new ListExpr(items);
            }
            case TokKind.Op when t.Text == "[":
            {
                _i++;
                var items = new List<Expr>();
                while (!TryOp("]"))
                {
                    items.Add(ParseExpr());
                    if (!TryOp(",")) { ExpectOp("]"); break; }
                }
                return new ListExpr(items);
            }
            case TokKind.Op when t.Text == "{":
            {
                _i++;
                var items = new List<(Expr, Expr)>();
                while (!TryOp("}"))
                {
                    var k = ParseExpr();
                    ExpectOp(":");
                    items.Add((k, ParseExpr()));
                    if (!TryOp(",")) { ExpectOp("}"); break; }
                }
                return new DictExpr(items);
            }
            default:
                throw Error("expected an expression");
        }
    }
}
