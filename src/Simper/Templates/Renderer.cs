using System.Runtime.CompilerServices;
using System.Text;

namespace Simper.Templates;

internal enum Flow { Normal, Break, Continue }

/// <summary>
/// Executes a parsed template against its variables, enforcing the sandbox limits: total steps, output length and
/// macro recursion depth. Values never leave the template value model, so no .NET member is ever reachable.
/// </summary>
internal sealed partial class Renderer(JinjaOptions options)
{
    private long _steps;
    private int _macroDepth;

    public JinjaOptions Options { get; } = options;

    public string Render(List<Node> nodes, Scope globals)
    {
        var output = new StringBuilder();
        Execute(nodes, new Scope(globals), output);
        return output.ToString();
    }

    private void Step()
    {
        if (++_steps > Options.MaxSteps)
            throw new JinjaError($"rendering exceeded the limit of {Options.MaxSteps} steps");
    }

    private void Write(StringBuilder output, string text)
    {
        if ((long)output.Length + text.Length > Options.MaxOutputLength)
            throw new JinjaError($"output exceeded the limit of {Options.MaxOutputLength} characters");
        output.Append(text);
    }

    private Flow Execute(List<Node> nodes, Scope scope, StringBuilder output)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        foreach (var node in nodes)
        {
            Flow flow;
            try
            {
                Step();
                flow = ExecuteNode(node, scope, output);
            }
            catch (JinjaError e)
            {
                throw TemplateException.At(Options, node.Line, e.Message);
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow ExecuteNode(Node node, Scope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode text:
                Write(output, text.Text);
                return Flow.Normal;
            case PrintNode print:
                Write(output, PyFormat.Str(Eval(print.Value, scope)));
                return Flow.Normal;
            case IfNode branch:
                foreach (var (test, body) in branch.Branches)
                    if (PyOps.Truthy(Eval(test, scope))) return Execute(body, scope, output);
                return branch.Else is null ? Flow.Normal : Execute(branch.Else, scope, output);
            case ForNode loop:
                ExecuteFor(loop, scope, output);
                return Flow.Normal;
            case SetNode set:
                Assign(set.Target, Eval(set.Value, scope), scope);
                return Flow.Normal;
            case SetBlockNode block:
                Assign(block.Target, ApplyFilters(block.Filters, RenderBody(block.Body, scope), scope), scope);
                return Flow.Normal;
            case FilterBlockNode filter:
                Write(output, PyFormat.Str(ApplyFilters(filter.Filters, RenderBody(filter.Body, scope), scope)));
                return Flow.Normal;
            case MacroNode macro:
                scope.Set(macro.Name, new Macro(macro.Name, macro.Parameters, macro.Body, scope));
                return Flow.Normal;
            case CallBlockNode call:
                Write(output, PyFormat.Str(ExecuteCallBlock(call, scope)));
                return Flow.Normal;
            case LoopControlNode control:
                return control.IsBreak ? Flow.Break : Flow.Continue;
            default:
                throw new JinjaError($"unsupported statement {node.GetType().Name}");
        }
    }

    private string RenderBody(List<Node> body, Scope scope)
    {
        var output = new StringBuilder();
        Execute(body, scope, output);
        return output.ToString();
    }

    private object? ApplyFilters(List<FilterCall> filters, object? value, Scope scope)
    {
        foreach (var filter in filters) value = ApplyFilter(filter, value, scope);
        return value;
    }

    private void ExecuteFor(ForNode node, Scope scope, StringBuilder output)
    {
        var items = PyOps.Iterate(Eval(node.Iterable, scope));
        var loopScope = new Scope(scope);
        if (node.Filter != null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                Step();
                Assign(node.Target, item, loopScope);
                if (PyOps.Truthy(Eval(node.Filter, loopScope))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0)
        {
            if (node.Else != null) Execute(node.Else, scope, output);
            return;
        }
        var loop = new LoopContext(items);
        loopScope.Set("loop", loop);
        for (var i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            Assign(node.Target, items[i], loopScope);
            if (Execute(node.Body, loopScope, output) == Flow.Break) break;
        }
    }

    private void Assign(Target target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                break;
            case TupleTarget tuple:
                var parts = value is string or IReadOnlyList<object?> ? PyOps.Iterate(value)
                    : throw new JinjaError($"cannot unpack non-iterable {PyFormat.TypeName(value)} object");
                if (parts.Count != tuple.Names.Count)
                    throw new JinjaError(parts.Count > tuple.Names.Count
                        ? $"too many values to unpack (expected {tuple.Names.Count})"
                        : $"not enough values to unpack (expected {tuple.Names.Count}, got {parts.Count})");
                for (var i = 0; i < parts.Count; i++) scope.Set(tuple.Names[i], parts[i]);
                break;
            case AttributeTarget attribute:
                if (!scope.TryGet(attribute.Owner, out var owner) || owner is not Namespace ns)
                    throw new JinjaError("cannot assign attribute on non-namespace object");
                ns.Attributes[attribute.Attribute] = value;
                break;
        }
    }

    private object? ExecuteCallBlock(CallBlockNode node, Scope scope)
    {
        var callee = Eval(node.Call.Callee, scope);
        if (callee is not Macro macro) throw new JinjaError("a call block must call a macro");
        var caller = new Macro("caller", node.Parameters, node.Body, scope);
        return CallMacro(macro, EvalArguments(node.Call.Args, node.Call.Keywords, scope, node.Line), caller);
    }

    public object? CallMacro(Macro macro, CallArguments args, Macro? caller)
    {
        if (++_macroDepth > Options.MaxRecursionDepth)
            throw new JinjaError($"macro calls nested deeper than {Options.MaxRecursionDepth} levels");
        try
        {
            Step();
            var scope = new Scope(macro.Closure);
            if (args.Positional.Count > macro.Parameters.Count)
                throw new JinjaError($"macro '{macro.Name}' takes not more than {macro.Parameters.Count} argument(s)");
            foreach (var keyword in args.Keywords.Keys)
                if (!macro.Parameters.Any(p => p.Name == keyword))
                    throw new JinjaError($"macro '{macro.Name}' was invoked with an unknown keyword argument '{keyword}'");
            for (var i = 0; i < macro.Parameters.Count; i++)
            {
                var parameter = macro.Parameters[i];
                var value = i < args.Positional.Count ? args.Positional[i]
                    : args.Keywords.TryGetValue(parameter.Name, out var named) ? named
                    : parameter.Default != null ? Eval(parameter.Default, scope)
                    : Undefined.Variable(parameter.Name);
                scope.Set(parameter.Name, value);
            }
            if (caller != null) scope.Set("caller", caller);
            return RenderBody(macro.Body, scope);
        }
        finally
        {
            _macroDepth--;
        }
    }
}
