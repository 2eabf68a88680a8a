namespace Simper.Templates;

/// <summary>Expression evaluation with Python/Jinja semantics.</summary>
internal sealed partial class Renderer
{
    public object? Eval(Expr expr, Scope scope)
    {
        switch (expr)
        {
            case ConstExpr c: return c.Value;
            case NameExpr n: return scope.TryGet(n.Name, out var value) ? value : Undefined.Variable(n.Name);
            case ListExpr list:
                var items = list.Items.Select(item => Eval(item, scope)).ToList();
                return list.IsTuple ? new JinjaTuple(items) : items;
            case DictExpr dict:
                var result = new Dictionary<string, object?>();
                foreach (var (key, item) in dict.Items)
                    result[Eval(key, scope) as string ?? throw new JinjaError("dictionary keys in a template must be strings")] =
                        Eval(item, scope);
                return result;
            case AttributeExpr attribute: return Access.GetAttribute(Eval(attribute.Owner, scope), attribute.Attribute);
            case ItemExpr item: return Access.GetItem(Eval(item.Owner, scope), Eval(item.Key, scope));
            case SliceExpr slice:
                return Access.Slice(Eval(slice.Owner, scope), EvalOptional(slice.Start, scope),
                    EvalOptional(slice.Stop, scope), EvalOptional(slice.Step, scope));
            case CallExpr call: return EvalCall(call, scope);
            case FilterExpr filter: return ApplyFilter(filter.Filter, Eval(filter.Input, scope), scope);
            case TestExpr test:
                var passed = TestFunctions.Apply(test.Name, Eval(test.Input, scope), test.Args.Select(a => Eval(a, scope)).ToList());
                return passed != test.Negated;
            case UnaryExpr unary: return EvalUnary(unary.Op, Eval(unary.Operand, scope));
            case BinaryExpr binary: return EvalBinary(binary, scope);
            case CompareExpr compare: return EvalCompare(compare, scope);
            case ConditionalExpr conditional:
                return PyOps.Truthy(Eval(conditional.Test, scope)) ? Eval(conditional.Then, scope)
                    : conditional.Else != null ? Eval(conditional.Else, scope)
                    : new Undefined("the inline if-expression on line " + conditional.Line + " evaluated to false and has no else");
            default: throw new JinjaError($"unsupported expression {expr.GetType().Name}");
        }
    }

    private object? EvalOptional(Expr? expr, Scope scope) => expr is null ? null : Eval(expr, scope);

    private static object? EvalUnary(string op, object? operand)
    {
        if (op == "not") return !PyOps.Truthy(operand);
        return operand switch
        {
            long l => (object)(op == "-" ? checked(-l) : l),
            double d => op == "-" ? -d : d,
            bool b => op == "-" ? -(b ? 1L : 0L) : b ? 1L : 0L,
            Undefined u => throw new JinjaError(u.Hint),
            _ => throw new JinjaError($"bad operand type for unary {op}: '{PyFormat.TypeName(operand)}'"),
        };
    }

    private object? EvalBinary(BinaryExpr binary, Scope scope)
    {
        var left = Eval(binary.Left, scope);
        switch (binary.Op)
        {
            case "and": return PyOps.Truthy(left) ? Eval(binary.Right, scope) : left;
            case "or": return PyOps.Truthy(left) ? left : Eval(binary.Right, scope);
            case "~":
                var text = PyFormat.Str(left) + PyFormat.Str(Eval(binary.Right, scope));
                PyOps.CheckLength(text.Length, Options.MaxOutputLength);
                return text;
            default: return PyOps.Binary(binary.Op, left, Eval(binary.Right, scope), Options.MaxOutputLength);
        }
    }

    private object? EvalCompare(CompareExpr compare, Scope scope)
    {
        var left = Eval(compare.First, scope);
        foreach (var (op, operand) in compare.Rest)
        {
            var right = Eval(operand, scope);
            var holds = op switch
            {
                "==" => PyOps.Equals(left, right),
                "!=" => !PyOps.Equals(left, right),
                "in" => PyOps.Contains(right, left),
                "not in" => !PyOps.Contains(right, left),
                "<" => PyOps.Compare(left, right, op) < 0,
                "<=" => PyOps.Compare(left, right, op) <= 0,
                ">" => PyOps.Compare(left, right, op) > 0,
                _ => PyOps.Compare(left, right, op) >= 0,
            };
            if (!holds) return false;
            left = right;
        }
        return true;
    }

    private object? EvalCall(CallExpr call, Scope scope)
    {
        var callee = Eval(call.Callee, scope);
        var args = EvalArguments(call.Args, call.Keywords, scope, call.Line);
        return callee switch
        {
            ICallable f => f.Call(this, args),
            Undefined u => throw new JinjaError(u.Hint),
            _ => throw new JinjaError($"'{PyFormat.TypeName(callee)}' object is not callable"),
        };
    }

    private CallArguments EvalArguments(List<Expr> args, List<(string Name, Expr Value)> keywords, Scope scope, int line)
    {
        Step();
        var named = new Dictionary<string, object?>();
        foreach (var (name, value) in keywords) named[name] = Eval(value, scope);
        return new CallArguments(args.Select(a => Eval(a, scope)).ToList(), named, line);
    }

    private object? ApplyFilter(FilterCall filter, object? input, Scope scope) =>
        Filters.Apply(this, filter.Name, input, EvalArguments(filter.Args, filter.Keywords, scope, filter.Line));
}
