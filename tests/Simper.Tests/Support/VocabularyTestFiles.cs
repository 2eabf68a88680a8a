namespace Simper.Tests.Support;

/// <summary>The reference tokenizer suites' files: test strings (`.inp`, `inp`) and their expected ids (`.out`, `out`).</summary>
internal static class VocabularyTestFiles
{
    /// <summary>Inputs separated by the line __ggml_vocab_test__, each followed by it (as llama.cpp's reader splits them).</summary>
    public static List<string> ReadInputs(string path)
    {
        const string separator = "\n__ggml_vocab_test__\n";
        var all = File.ReadAllText(path);
        var inputs = new List<string>();
        for (int pos = 0, next; (next = all.IndexOf(separator, pos, StringComparison.Ordinal)) >= 0; pos = next + separator.Length)
            inputs.Add(all[pos..next]);
        return inputs;
    }

    /// <summary>One line of space-separated ids per input (an empty line for the empty string).</summary>
    public static List<int[]> ReadExpected(string path) =>
        File.ReadAllText(path).Split('\n')[..^1]
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray()).ToList();
}
