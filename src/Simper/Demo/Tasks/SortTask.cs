using System.Globalization;

namespace Simper.Demo.Tasks;

/// <summary>Sorts a list of single digits. Bad habit: sorting all but the last item, which stays last.</summary>
public sealed class SortTask(int minItems = 3, int maxItems = 5) : IVerifiableTask
{
    public string Name => "sort";
    public string Description => $"sort {minItems}-{maxItems} digits ascending; habit: leave the last item where it is";

    public TaskInstance Sample(Random random)
    {
        var items = Enumerable.Range(0, random.Next(minItems, maxItems + 1)).Select(_ => random.Next(10)).ToArray();
        var prompt = $"sort {Join(items)}=";
        var habit = items[..^1].Order().Append(items[^1]).ToArray();
        return new TaskInstance(Name, prompt, Join(items.Order().ToArray()), Join(habit));
    }

    public string Solve(string prompt) =>
        Join(prompt["sort ".Length..^1].Split(' ').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Order().ToArray());

    private static string Join(int[] items) => string.Join(' ', items);
}
