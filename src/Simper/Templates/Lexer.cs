using System.Globalization;
using System.Text;

namespace Simper.Templates;

internal enum TokenKind { Data, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, End }

internal readonly record struct Token(TokenKind Kind, string Text, int Line, object? Value = null)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;
    public bool IsOperator(string text) => Is(TokenKind.Operator, text);
    public bool IsName(string text) => Is(TokenKind.Name, text);

    public string Describe() => Kind switch
    {
        TokenKind.End => "end of template",
        TokenKind.VariableEnd => "end of print statement",
        TokenKind.BlockEnd => "end of statement block",
        TokenKind.Data => "template text",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Splits a template into text and tag tokens, applying Jinja's whitespace control: '-' strips all whitespace on
/// that side of a tag, lstrip_blocks removes a block tag's indentation, trim_blocks removes the newline after a
/// block tag, and '+' turns those two off for one tag.
/// </summary>
internal sealed class Lexer(string source, JinjaOptions options)
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "|", ".", ",", ":", "(", ")", "[", "]", "{", "}", "=", "<", ">"];

    private readonly string _src = Normalize(source, options.KeepTrailingNewline);
    private readonly List<Token> _tokens = [];
    private int _pos;
    private int _line = 1;

    private static string Normalize(string source, bool keepTrailingNewline)
    {
        var text = source.Replace("\r\n", "\n").Replace('\r', '\n');
        return !keepTrailingNewline && text.EndsWith('\n') ? text[..^1] : text;
    }

    public List<Token> Tokenize()
    {
        while (_pos < _src.Length)
        {
            var start = FindTagStart(_pos);
            var text = _src[_pos..(start < 0 ? _src.Length : start)];
            var textLine = _line;
            if (start < 0)
            {
                AddData(text, textLine);
                Advance(_src.Length);
                break;
            }
            var kind = _src[start + 1];
            var modifier = start + 2 < _src.Length ? _src[start + 2] : '\0';
            if (modifier == '-') text = text.TrimEnd();
            else if (modifier != '+' && options.LstripBlocks && kind != '{') text = StripIndentation(text);
            AddData(text, textLine);
            Advance(start + 2 + (modifier is '-' or '+' ? 1 : 0));
            if (kind == '#') SkipComment(start);
            else LexTag(kind == '{' ? TokenKind.VariableBegin : TokenKind.BlockBegin);
        }
        _tokens.Add(new Token(TokenKind.End, "", _line));
        return _tokens;
    }

    private int FindTagStart(int from)
    {
        for (var i = _src.IndexOf('{', from); i >= 0 && i + 1 < _src.Length; i = _src.IndexOf('{', i + 1))
            if (_src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>lstrip_blocks: drop the spaces and tabs between the line start and the tag, when only those precede it.</summary>
    private string StripIndentation(string text)
    {
        var lineStart = text.LastIndexOf('\n') + 1;
        var atLineStart = lineStart > 0 || _pos == 0 || _src[_pos - 1] == '\n';
        if (!atLineStart) return text;
        for (var i = lineStart; i < text.Length; i++)
            if (text[i] is not (' ' or '\t')) return text;
        return text[..lineStart];
    }

    private void AddData(string text, int line)
    {
        if (text.Length > 0) _tokens.Add(new Token(TokenKind.Data, text, line));
    }

    private void Advance(int to)
    {
        for (var i = _pos; i < to; i++) if (_src[i] == '\n') _line++;
        _pos = to;
    }

    private void SkipComment(int start)
    {
        var end = _src.IndexOf("#}", _pos, StringComparison.Ordinal);
        if (end < 0) throw TemplateException.At(options, LineOf(start), "missing end of comment tag '#}'");
        var modifier = end > _pos ? _src[end - 1] : '\0';
        Advance(end + 2);
        AfterTagEnd(modifier, trim: true);
    }

    /// <summary>Whitespace control after a tag: '-' eats all whitespace, trim_blocks one newline ('+' keeps it).</summary>
    private void AfterTagEnd(char modifier, bool trim)
    {
        if (modifier == '-')
        {
            var i = _pos;
            while (i < _src.Length && char.IsWhiteSpace(_src[i])) i++;
            Advance(i);
        }
        else if (trim && modifier != '+' && options.TrimBlocks && _pos < _src.Length && _src[_pos] == '\n') Advance(_pos + 1);
    }

    private int LineOf(int index) => 1 + _src.AsSpan(0, index).Count('\n');

    private void LexTag(TokenKind begin)
    {
        var isBlock = begin == TokenKind.BlockBegin;
        var close = isBlock ? "%}" : "}}";
        var openLine = _line;
        _tokens.Add(new Token(begin, isBlock ? "{%" : "{{", _line));
        var depth = 0;
        while (true)
        {
            while (_pos < _src.Length && char.IsWhiteSpace(_src[_pos])) Advance(_pos + 1);
            if (_pos >= _src.Length)
                throw TemplateException.At(options, openLine, $"unexpected end of template, expected '{close}'");
            if (depth == 0 && TryTagEnd(close, isBlock)) return;
            var c = _src[_pos];
            if (c is '\'' or '"') LexString(c);
            else if (char.IsAsciiDigit(c)) LexNumber();
            else if (char.IsLetter(c) || c == '_') LexName();
            else LexOperator(ref depth);
        }
    }

    private bool TryTagEnd(string close, bool isBlock)
    {
        var modifier = '\0';
        var at = _pos;
        if (_src[at] is '-' || (_src[at] is '+' && isBlock))
        {
            modifier = _src[at];
            at++;
        }
        if (string.CompareOrdinal(_src, at, close, 0, 2) != 0) return false;
        _tokens.Add(new Token(isBlock ? TokenKind.BlockEnd : TokenKind.VariableEnd, close, _line));
        Advance(at + 2);
        AfterTagEnd(modifier, trim: isBlock);
        return true;
    }

    private void LexName()
    {
        var start = _pos;
        while (_pos < _src.Length && (char.IsLetterOrDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        _tokens.Add(new Token(TokenKind.Name, _src[start.._pos], _line));
    }

    private void LexNumber()
    {
        var start = _pos;
        var afterDot = _tokens.Count > 0 && _tokens[^1].IsOperator(".");
        while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        var isFloat = false;
        if (!afterDot && _pos + 1 < _src.Length && _src[_pos] == '.' && char.IsAsciiDigit(_src[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _src.Length && (char.IsAsciiDigit(_src[_pos]) || _src[_pos] == '_')) _pos++;
        }
        if (!afterDot && _pos < _src.Length && _src[_pos] is 'e' or 'E')
        {
            var e = _pos + 1;
            if (e < _src.Length && _src[e] is '+' or '-') e++;
            if (e < _src.Length && char.IsAsciiDigit(_src[e]))
            {
                isFloat = true;
                _pos = e;
                while (_pos < _src.Length && char.IsAsciiDigit(_src[_pos])) _pos++;
            }
        }
        var text = _src[start.._pos];
        var digits = text.Replace("_", "");
        object value = isFloat
            ? (object)double.Parse(digits, CultureInfo.InvariantCulture)
            : long.TryParse(digits, CultureInfo.InvariantCulture, out var l) ? l
            : throw TemplateException.At(options, _line, $"integer literal {text} is too large");
        _tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text, _line, value));
    }

    private void LexOperator(ref int depth)
    {
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_src, _pos, op, 0, op.Length) != 0) continue;
            if (op is "(" or "[" or "{") depth++;
            else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
            _tokens.Add(new Token(TokenKind.Operator, op, _line));
            _pos += op.Length;
            return;
        }
        throw TemplateException.At(options, _line, $"unexpected character '{_src[_pos]}'");
    }

    /// <summary>A quoted literal with Python's escapes (\n, \t, \xNN, \uNNNN, ...); unknown escapes stay as written.</summary>
    private void LexString(char quote)
    {
        var line = _line;
        var sb = new StringBuilder();
        var i = _pos + 1;
        for (; i < _src.Length && _src[i] != quote; i++)
        {
            if (_src[i] != '\\' || i + 1 >= _src.Length)
            {
                sb.Append(_src[i]);
                continue;
            }
            var e = _src[++i];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\\' or '\'' or '"': sb.Append(e); break;
                case '\n': break;
                case 'x' or 'u' or 'U':
                    var width = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    if (i + width >= _src.Length || !int.TryParse(_src.AsSpan(i + 1, width), NumberStyles.HexNumber, null, out var code))
                        throw TemplateException.At(options, line, $"malformed \\{e} escape in string literal");
                    sb.Append(char.ConvertFromUtf32(code));
                    i += width;
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        if (i >= _src.Length) throw TemplateException.At(options, line, "unterminated string literal");
        _tokens.Add(new Token(TokenKind.String, _src[_pos..(i + 1)], line, sb.ToString()));
        Advance(i + 1);
    }
}

