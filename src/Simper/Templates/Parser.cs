namespace Simper.Templates;

/// <summary>
/// Builds the statement tree: text, <c>{{ }}</c> output and the tags if/elif/else, for/else (with a loop filter and
/// unpacking), set (plain, namespace attribute, block), macro, call, filter, break/continue and generation
/// (rendered as its body).
/// </summary>
internal sealed partial class Parser(List<Token> tokens, JinjaOptions options)
{
    private int _pos;
    private int _loopDepth;
    private int _depth;

    private Token Current => tokens[_pos];
    private Token Peek(int ahead = 1) => tokens[Math.Min(_pos + ahead, tokens.Count - 1)];
    private Token Next() => tokens[Math.Min(_pos++, tokens.Count - 1)];

    public List<Node> ParseTemplate() => ParseBody([], null, out _);

    private TemplateException Error(string what, int? line = null) => TemplateException.At(options, line ?? Current.Line, what);

    private Token Expect(TokenKind kind, string? text = null)
    {
        var token = Current;
        if (token.Kind != kind || (text != null && token.Text != text))
        {
            var wanted = text != null ? $"'{text}'" : new Token(kind, "", 0).Describe();
            if (kind == TokenKind.Name && text == null) wanted = "a name";
            throw Error($"expected {wanted}, found {token.Describe()}");
        }
        _pos++;
        return token;
    }

    private void ExpectBlockEnd() => Expect(TokenKind.BlockEnd);

    /// <summary>Parses nodes until one of <paramref name="endTags"/> opens a block; that tag's name is consumed.</summary>
    private List<Node> ParseBody(string[] endTags, Token? opener, out string endTag)
    {
        var nodes = new List<Node>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.Data:
                    nodes.Add(new TextNode(token.Text, token.Line));
                    _pos++;
                    break;
                case TokenKind.VariableBegin:
                    _pos++;
                    nodes.Add(new PrintNode(ParseTuple(), token.Line));
                    Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    var name = Peek();
                    if (name.Kind == TokenKind.Name && endTags.Contains(name.Text))
                    {
                        _pos += 2;
                        endTag = name.Text;
                        return nodes;
                    }
                    _pos++;
                    ParseStatement(nodes, endTags);
                    break;
                case TokenKind.End when endTags.Length == 0:
                    endTag = "";
                    return nodes;
                case TokenKind.End:
                    throw Error($"unexpected end of template, expected {string.Join(" or ", endTags.Select(t => $"'{t}'"))} " +
                                $"to close the '{opener!.Value.Text}' block opened on line {opener.Value.Line}");
                default:
                    throw Error($"unexpected {token.Describe()}");
            }
        }
    }

    private void ParseStatement(List<Node> into, string[] enclosingEndTags)
    {
        var tag = Current;
        if (tag.Kind != TokenKind.Name) throw Error($"expected a tag name, found {tag.Describe()}");
        _pos++;
        switch (tag.Text)
        {
            case "if": into.Add(ParseIf(tag)); break;
            case "for": into.Add(ParseFor(tag)); break;
            case "set": into.Add(ParseSet(tag)); break;
            case "macro": into.Add(ParseMacro(tag)); break;
            case "call": into.Add(ParseCallBlock(tag)); break;
            case "filter":
                var filters = ParseFilterChain(startsWithName: true);
                ExpectBlockEnd();
                into.Add(new FilterBlockNode(filters, ParseEnd(["endfilter"], tag), tag.Line));
                break;
            case "break" or "continue":
                if (_loopDepth == 0) throw Error($"'{tag.Text}' outside of a for loop", tag.Line);
                ExpectBlockEnd();
                into.Add(new LoopControlNode(tag.Text == "break", tag.Line));
                break;
            case "generation":
                // Hugging Face marks assistant text with this block to build masks; the text itself renders as is.
                ExpectBlockEnd();
                into.AddRange(ParseEnd(["endgeneration"], tag));
                break;
            default:
                var context = enclosingEndTags.Length > 0
                    ? $" (expected {string.Join(" or ", enclosingEndTags.Select(t => $"'{t}'"))})" : "";
                throw Error($"unknown tag '{tag.Text}'{context}", tag.Line);
        }
    }

    private List<Node> ParseEnd(string[] endTags, Token opener)
    {
        var body = ParseBody(endTags, opener, out _);
        ExpectBlockEnd();
        return body;
    }

    private IfNode ParseIf(Token tag)
    {
        var branches = new List<(Expr, List<Node>)>();
        List<Node>? otherwise = null;
        var test = ParseExpression();
        while (true)
        {
            ExpectBlockEnd();
            var body = ParseBody(["elif", "else", "endif"], tag, out var end);
            branches.Add((test, body));
            if (end == "elif")
            {
                test = ParseExpression();
                continue;
            }
            if (end == "else")
            {
                ExpectBlockEnd();
                otherwise = ParseEnd(["endif"], tag);
            }
            else ExpectBlockEnd();
            return new IfNode(branches, otherwise, tag.Line);
        }
    }

    private ForNode ParseFor(Token tag)
    {
        var target = ParseTarget(allowAttribute: false);
        Expect(TokenKind.Name, "in");
        var iterable = ParseTuple(allowConditional: false);
        Expr? filter = null;
        if (Current.IsName("if"))
        {
            _pos++;
            filter = ParseExpression();
        }
        if (Current.IsName("recursive")) throw Error("recursive for loops are not supported");
        ExpectBlockEnd();
        _loopDepth++;
        var body = ParseBody(["else", "endfor"], tag, out var end);
        _loopDepth--;
        List<Node>? otherwise = null;
        if (end == "else")
        {
            ExpectBlockEnd();
            otherwise = ParseEnd(["endfor"], tag);
        }
        else ExpectBlockEnd();
        return new ForNode(target, iterable, filter, body, otherwise, tag.Line);
    }

    private Node ParseSet(Token tag)
    {
        var target = ParseTarget(allowAttribute: true);
        if (Current.IsOperator("="))
        {
            _pos++;
            var value = ParseTuple();
            ExpectBlockEnd();
            return new SetNode(target, value, tag.Line);
        }
        var filters = ParseFilterChain(startsWithName: false);
        ExpectBlockEnd();
        return new SetBlockNode(target, filters, ParseEnd(["endset"], tag), tag.Line);
    }

    private Target ParseTarget(bool allowAttribute)
    {
        var parenthesized = Current.IsOperator("(");
        if (parenthesized) _pos++;
        var first = Expect(TokenKind.Name).Text;
        if (allowAttribute && !parenthesized && Current.IsOperator("."))
        {
            _pos++;
            return new AttributeTarget(first, Expect(TokenKind.Name).Text);
        }
        var names = new List<string> { first };
        while (Current.IsOperator(","))
        {
            _pos++;
            if (Current.Kind != TokenKind.Name) break;
            names.Add(Next().Text);
        }
        if (parenthesized) Expect(TokenKind.Operator, ")");
        return names.Count == 1 && !parenthesized ? new NameTarget(first) : new TupleTarget(names);
    }

    private MacroNode ParseMacro(Token tag)
    {
        var name = Expect(TokenKind.Name).Text;
        var parameters = ParseParameters();
        ExpectBlockEnd();
        var saved = _loopDepth;
        _loopDepth = 0;
        var body = ParseBody(["endmacro"], tag, out _);
        _loopDepth = saved;
        if (Current.Kind == TokenKind.Name) _pos++;   // "{% endmacro name %}" may repeat the name
        ExpectBlockEnd();
        return new MacroNode(name, parameters, body, tag.Line);
    }

    private CallBlockNode ParseCallBlock(Token tag)
    {
        var parameters = Current.IsOperator("(") ? ParseParameters() : [];
        if (ParseExpression() is not CallExpr call) throw Error("'call' expects a macro call", tag.Line);
        ExpectBlockEnd();
        var body = ParseEnd(["endcall"], tag);
        return new CallBlockNode(call, parameters, body, tag.Line);
    }

    private List<Parameter> ParseParameters()
    {
        Expect(TokenKind.Operator, "(");
        var parameters = new List<Parameter>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0) Expect(TokenKind.Operator, ",");
            if (Current.IsOperator(")")) break;
            var name = Expect(TokenKind.Name).Text;
            Expr? fallback = null;
            if (Current.IsOperator("="))
            {
                _pos++;
                fallback = ParseExpression();
            }
            else if (parameters.Count > 0 && parameters[^1].Default != null)
                throw Error($"parameter '{name}' without a default follows one with a default");
            parameters.Add(new Parameter(name, fallback));
        }
        _pos++;
        return parameters;
    }

    /// <summary>"name(args) | name..." after the filter tag, or "| name..." (possibly nothing) after a block set.</summary>
    private List<FilterCall> ParseFilterChain(bool startsWithName)
    {
        var filters = startsWithName ? new List<FilterCall> { ParseFilterCall() } : [];
        while (Current.IsOperator("|"))
        {
            _pos++;
            filters.Add(ParseFilterCall());
        }
        return filters;
    }
}
