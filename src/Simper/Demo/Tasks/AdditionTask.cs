using System.Globalization;

namespace Simper.Demo.Tasks;

/// <summary>
/// Adds two zero-padded numbers and writes the sum least-significant digit first, the order in which a small
/// left-to-right model can compute carries. Bad habit: dropping the carry.
/// </summary>
public sealed class AdditionTask(int digits = 2) : IVerifiableTask
{
    public string Name => "add";
    public string Description => $"{digits}-digit addition, sum written least-significant digit first; habit: forget the carry";

    public TaskInstance Sample(Random random)
    {
        var max = (int)Math.Pow(10, digits);
        int a = random.Next(max), b = random.Next(max);
        var prompt = $"add {Pad(a)}+{Pad(b)}=";
        return new TaskInstance(Name, prompt, Reverse((a + b).ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0')),
            WithoutCarry(Pad(a), Pad(b)));
    }

    public string Solve(string prompt)
    {
        var (a, b) = Operands(prompt);
        return Reverse((int.Parse(a, CultureInfo.InvariantCulture) + int.Parse(b, CultureInfo.InvariantCulture))
            .ToString(CultureInfo.InvariantCulture).PadLeft(digits + 1, '0'));
    }

    private string Pad(int n) => n.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0');

    private static (string, string) Operands(string prompt)
    {
        var body = prompt["add ".Length..^1];
        var plus = body.IndexOf('+');
        return (body[..plus], body[(plus + 1)..]);
    }

    /// <summary>The habit: digit-wise sums modulo 10, least significant first, and a carry-out digit of 0.</summary>
    public static string WithoutCarry(string a, string b)
    {
        var digits = new char[a.Length + 1];
        for (int i = 0; i < a.Length; i++)
            digits[i] = (char)('0' + (a[^(i + 1)] - '0' + b[^(i + 1)] - '0') % 10);
        digits[a.Length] = '0';
        return new string(digits);
    }

    private static string Reverse(string s) => new(s.Reverse().ToArray());
}
