namespace Simper.Templates;

/// <summary>
/// Expressions, by Jinja's precedence (lowest first): inline if/else, or, and, not, comparisons and membership,
/// + -, ~, * / // %, **, unary sign, then primaries with attribute/item/slice/call postfixes and |filter / is test.
/// </summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> Comparisons = ["==", "!=", "<", ">", "<=", ">="];

    private Expr ParseTuple(bool allowConditional = true)
    {
        var line = Current.Line;
        var first = ParseExpression(allowConditional);
        if (!Current.IsOperator(",")) return first;
        var items = new List<Expr> { first };
        while (Current.IsOperator(","))
        {
            _pos++;
            if (!StartsExpression(Current)) break;
            items.Add(ParseExpression(allowConditional));
        }
        return new ListExpr(items, IsTuple: true, line);
    }

    private static bool StartsExpression(Token t) =>
        t.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
        || (t.Kind == TokenKind.Operator && t.Text is "(" or "[" or "{" or "-" or "+");

    private Expr ParseExpression(bool allowConditional = true)
    {
        if (++_depth > options.MaxRecursionDepth) throw Error($"expression nested deeper than {options.MaxRecursionDepth} levels");
        try
        {
            return allowConditional ? ParseConditional() : ParseOr();
        }
        finally
        {
            _depth--;
        }
    }

    private Expr ParseConditional()
    {
        var value = ParseOr();
        while (Current.IsName("if"))
        {
            var line = Next().Line;
            var test = ParseOr();
            Expr? otherwise = null;
            if (Current.IsName("else"))
            {
                _pos++;
                otherwise = ParseConditional();
            }
            value = new ConditionalExpr(test, value, otherwise, line);
        }
        return value;
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            var line = Next().Line;
            left = new BinaryExpr("or", left, ParseAnd(), line);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            var line = Next().Line;
            left = new BinaryExpr("and", left, ParseNot(), line);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!Current.IsName("not")) return ParseCompare();
        var line = Next().Line;
        return new UnaryExpr("not", ParseNot(), line);
    }

    private Expr ParseCompare()
    {
        var line = Current.Line;
        var first = ParseSum();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            if (Current.Kind == TokenKind.Operator && Comparisons.Contains(Current.Text)) rest.Add((Next().Text, ParseSum()));
            else if (Current.IsName("in")) { _pos++; rest.Add(("in", ParseSum())); }
            else if (Current.IsName("not") && Peek().IsName("in")) { _pos += 2; rest.Add(("not in", ParseSum())); }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(first, rest, line);
    }

    private Expr ParseSum()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var op = Next();
            left = new BinaryExpr(op.Text, left, ParseConcat(), op.Line);
        }
        return left;
    }

    private Expr ParseConcat()
    {
        var left = ParseProduct();
        while (Current.IsOperator("~"))
        {
            var op = Next();
            left = new BinaryExpr("~", left, ParseProduct(), op.Line);
        }
        return left;
    }

    private Expr ParseProduct()
    {
        var left = ParsePower();
        while (Current.Kind == TokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            var op = Next();
            left = new BinaryExpr(op.Text, left, ParsePower(), op.Line);
        }
        return left;
    }

    private Expr ParsePower()
    {
        var left = ParseUnary(withFilters: true);
        while (Current.IsOperator("**"))
        {
            var op = Next();
            left = new BinaryExpr("**", left, ParseUnary(withFilters: true), op.Line);
        }
        return left;
    }

    private Expr ParseUnary(bool withFilters)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var op = Next();
            if (++_depth > options.MaxRecursionDepth) throw Error($"expression nested deeper than {options.MaxRecursionDepth} levels");
            node = new UnaryExpr(op.Text, ParseUnary(withFilters: false), op.Line);
            _depth--;
        }
        else node = ParsePostfix(ParsePrimary());
        return withFilters ? ParseFiltersAndTests(node) : node;
    }

    private Expr ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TokenKind.Name:
                return token.Text switch
                {
                    "true" or "True" => new ConstExpr(true, token.Line),
                    "false" or "False" => new ConstExpr(false, token.Line),
                    "none" or "None" => new ConstExpr(null, token.Line),
                    _ => new NameExpr(token.Text, token.Line),
                };
            case TokenKind.String:
                var text = (string)token.Value!;
                while (Current.Kind == TokenKind.String) text += (string)Next().Value!;
                return new ConstExpr(text, token.Line);
            case TokenKind.Integer or TokenKind.Float:
                return new ConstExpr(token.Value, token.Line);
            case TokenKind.Operator when token.Text == "(":
                if (Current.IsOperator(")"))
                {
                    _pos++;
                    return new ListExpr([], IsTuple: true, token.Line);
                }
                var inner = ParseTuple();
                Expect(TokenKind.Operator, ")");
                return inner;
            case TokenKind.Operator when token.Text == "[":
                var items = new List<Expr>();
                while (!Current.IsOperator("]"))
                {
                    if (items.Count > 0) Expect(TokenKind.Operator, ",");
                    if (Current.IsOperator("]")) break;
                    items.Add(ParseExpression());
                }
                _pos++;
                return new ListExpr(items, IsTuple: false, token.Line);
            case TokenKind.Operator when token.Text == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!Current.IsOperator("}"))
                {
                    if (pairs.Count > 0) Expect(TokenKind.Operator, ",");
                    if (Current.IsOperator("}")) break;
                    var key = ParseExpression();
                    Expect(TokenKind.Operator, ":");
                    pairs.Add((key, ParseExpression()));
                }
                _pos++;
                return new DictExpr(pairs, token.Line);
            default:
                _pos--;
                throw Error($"expected an expression, found {token.Describe()}", token.Line);
        }
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                _pos++;
                var name = Next();
                node = name.Kind switch
                {
                    TokenKind.Name => new AttributeExpr(node, name.Text, token.Line),
                    TokenKind.Integer => new ItemExpr(node, new ConstExpr(name.Value, name.Line), token.Line),
                    _ => throw Error($"expected an attribute name after '.', found {name.Describe()}", name.Line),
                };
            }
            else if (token.IsOperator("["))
            {
                _pos++;
                node = ParseSubscript(node, token.Line);
            }
            else if (token.IsOperator("("))
            {
                _pos++;
                var (args, keywords) = ParseCallArguments();
                node = new CallExpr(node, args, keywords, token.Line);
            }
            else return node;
        }
    }

    private Expr ParseSubscript(Expr owner, int line)
    {
        Expr? start = null, stop = null, step = null;
        if (!Current.IsOperator(":")) start = ParseExpression();
        if (!Current.IsOperator(":"))
        {
            Expect(TokenKind.Operator, "]");
            return new ItemExpr(owner, start!, line);
        }
        _pos++;
        if (!Current.IsOperator(":") && !Current.IsOperator("]")) stop = ParseExpression();
        if (Current.IsOperator(":"))
        {
            _pos++;
            if (!Current.IsOperator("]")) step = ParseExpression();
        }
        Expect(TokenKind.Operator, "]");
        return new SliceExpr(owner, start, stop, step, line);
    }

    /// <summary>Arguments after '(' up to and including ')': positional, then name=value keywords.</summary>
    private (List<Expr>, List<(string, Expr)>) ParseCallArguments()
    {
        var args = new List<Expr>();
        var keywords = new List<(string, Expr)>();
        while (!Current.IsOperator(")"))
        {
            if (args.Count + keywords.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOperator(")")) break;
            if (Current.Kind == TokenKind.Name && Peek().IsOperator("="))
            {
                var name = Next().Text;
                _pos++;
                keywords.Add((name, ParseExpression()));
            }
            else if (keywords.Count > 0) throw Error("positional argument follows keyword argument");
            else args.Add(ParseExpression());
        }
        _pos++;
        return (args, keywords);
    }

    private Expr ParseFiltersAndTests(Expr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                var line = Next().Line;
                node = new FilterExpr(node, ParseFilterCall(), line);
            }
            else if (Current.IsName("is"))
            {
                var line = Next().Line;
                var negated = Current.IsName("not");
                if (negated) _pos++;
                var name = Expect(TokenKind.Name).Text;
                var args = new List<Expr>();
                if (Current.IsOperator("("))
                {
                    _pos++;
                    args = ParseCallArguments().Item1;
                }
                else if (StartsTestArgument(Current)) args.Add(ParsePostfix(ParsePrimary()));
                node = new TestExpr(node, name, args, negated, line);
            }
            else return node;
        }
    }

    private static bool StartsTestArgument(Token t) =>
        (t.Kind is TokenKind.Name && t.Text is not ("else" or "or" or "and" or "if" or "in" or "not" or "is"))
        || t.Kind is TokenKind.String or TokenKind.Integer or TokenKind.Float
        || (t.Kind == TokenKind.Operator && t.Text is "[" or "{");

    private FilterCall ParseFilterCall()
    {
        var name = Expect(TokenKind.Name);
        if (!Current.IsOperator("(")) return new FilterCall(name.Text, [], [], name.Line);
        _pos++;
        var (args, keywords) = ParseCallArguments();
        return new FilterCall(name.Text, args, keywords, name.Line);
    }
}
