namespace Simper.Templates;

// Statements. Every node keeps its template line for error messages.
internal abstract record Node(int Line);

internal sealed record TextNode(string Text, int Line) : Node(Line);
internal sealed record PrintNode(Expr Value, int Line) : Node(Line);
internal sealed record IfNode(List<(Expr Test, List<Node> Body)> Branches, List<Node>? Else, int Line) : Node(Line);
internal sealed record ForNode(Target Target, Expr Iterable, Expr? Filter, List<Node> Body, List<Node>? Else, int Line) : Node(Line);
internal sealed record SetNode(Target Target, Expr Value, int Line) : Node(Line);
internal sealed record SetBlockNode(Target Target, List<FilterCall> Filters, List<Node> Body, int Line) : Node(Line);
internal sealed record MacroNode(string Name, List<Parameter> Parameters, List<Node> Body, int Line) : Node(Line);
internal sealed record CallBlockNode(CallExpr Call, List<Parameter> Parameters, List<Node> Body, int Line) : Node(Line);
internal sealed record FilterBlockNode(List<FilterCall> Filters, List<Node> Body, int Line) : Node(Line);
internal sealed record LoopControlNode(bool IsBreak, int Line) : Node(Line);

internal sealed record Parameter(string Name, Expr? Default);

/// <summary>What a for loop or set assigns to: a name, names to unpack, or a namespace attribute.</summary>
internal abstract record Target;
internal sealed record NameTarget(string Name) : Target;
internal sealed record TupleTarget(List<string> Names) : Target;
internal sealed record AttributeTarget(string Owner, string Attribute) : Target;

// Expressions.
internal abstract record Expr(int Line);

internal sealed record ConstExpr(object? Value, int Line) : Expr(Line);
internal sealed record NameExpr(string Name, int Line) : Expr(Line);
internal sealed record ListExpr(List<Expr> Items, bool IsTuple, int Line) : Expr(Line);
internal sealed record DictExpr(List<(Expr Key, Expr Value)> Items, int Line) : Expr(Line);
internal sealed record AttributeExpr(Expr Owner, string Attribute, int Line) : Expr(Line);
internal sealed record ItemExpr(Expr Owner, Expr Key, int Line) : Expr(Line);
internal sealed record SliceExpr(Expr Owner, Expr? Start, Expr? Stop, Expr? Step, int Line) : Expr(Line);
internal sealed record CallExpr(Expr Callee, List<Expr> Args, List<(string Name, Expr Value)> Keywords, int Line) : Expr(Line);
internal sealed record FilterExpr(Expr Input, FilterCall Filter, int Line) : Expr(Line);
internal sealed record TestExpr(Expr Input, string Name, List<Expr> Args, bool Negated, int Line) : Expr(Line);
internal sealed record UnaryExpr(string Op, Expr Operand, int Line) : Expr(Line);
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Line) : Expr(Line);
internal sealed record CompareExpr(Expr First, List<(string Op, Expr Operand)> Rest, int Line) : Expr(Line);
internal sealed record ConditionalExpr(Expr Test, Expr Then, Expr? Else, int Line) : Expr(Line);

internal sealed record FilterCall(string Name, List<Expr> Args, List<(string Name, Expr Value)> Keywords, int Line);
