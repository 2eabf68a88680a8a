using Simper.Data;
using Simper.Templates;

namespace Simper.Text;

/// <summary>
/// Encodes dataset examples (text, chat messages or token ids) into token ids with the model's tokenizer and chat
/// template, then truncates them by <see cref="TruncationOptions"/>. Pre-tokenized examples are taken exactly as given.
/// </summary>
public sealed class ExampleEncoder(PromptResponseEncoder? encoder, TruncationOptions truncation)
{
    /// <summary>What encoding did; encoders may share one to count a dataset encoded in parts.</summary>
    public EncodingReport Report { get; init; } = new();

    /// <summary>
    /// The model's vocab_size, when known: a token id at or beyond it (only pre-tokenized rows can hold one) is an
    /// error naming the row, rather than an index failure deep inside the model mid-run.
    /// </summary>
    public int? VocabSize { get; init; }

    public IReadOnlyList<EncodedPair> EncodePairs(IEnumerable<PreferenceExample> examples)
    {
        var rows = examples.ToList();
        var turns = EncodeRows(rows, e => (Chosen: Encode(e.Prompt, e.Chosen, e.Source), Rejected: Encode(e.Prompt, e.Rejected, e.Source)));
        var encoded = new List<EncodedPair>();
        foreach (var (example, (chosenTurn, rejectedTurn)) in rows.Zip(turns))
        {
            Report.Examples++; // a pair counts once, though each of its responses is encoded
            Report.CountRow(example.Source, chosenTurn.Moved ?? rejectedTurn.Moved);
            var (shared, chosen, rejected) = SharePrompt(chosenTurn, rejectedTurn);
            var prompt = TruncatePrompt(shared);
            if (!Fits(prompt, example.Source)) continue;
            encoded.Add(new EncodedPair(prompt, TruncateResponse(prompt, chosen), TruncateResponse(prompt, rejected),
                example.RefChosenLogps, example.RefRejectedLogps, example.Source));
        }
        return encoded;
    }

    /// <summary>
    /// Encodes every row on all cores. Each row is encoded alone, so the results are those of encoding the rows one
    /// after another; when rows fail, the first failing row's error is thrown, as a sequential pass would.
    /// </summary>
    private static T[] EncodeRows<TRow, T>(List<TRow> rows, Func<TRow, T> encode)
    {
        var results = new T[rows.Count];
        var errors = new Exception?[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            try { results[i] = encode(rows[i]); }
            catch (Exception e) { errors[i] = e; }
        });
        if (errors.FirstOrDefault(e => e != null) is { } first) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        return results;
    }

    // Both responses must follow the same prompt tokens. Tokenizing each whole conversation can end the prompt one
    // token earlier for one of them (a token straddling the boundary); the shared part is then the prompt.
    private static (int[] Prompt, int[] Chosen, int[] Rejected) SharePrompt(EncodedTurn chosen, EncodedTurn rejected)
    {
        int n = 0;
        while (n < chosen.Prompt.Length && n < rejected.Prompt.Length && chosen.Prompt[n] == rejected.Prompt[n]) n++;
        return (chosen.Prompt[..n], [.. chosen.Prompt[n..], .. chosen.Response], [.. rejected.Prompt[n..], .. rejected.Response]);
    }

    public IReadOnlyList<EncodedCompletion> EncodeUnpaired(IEnumerable<UnpairedExample> examples)
    {
        var rows = examples.ToList();
        var turns = EncodeRows(rows, e => Encode(e.Prompt, e.Completion, e.Source));
        var encoded = new List<EncodedCompletion>();
        foreach (var (example, turn) in rows.Zip(turns))
        {
            Report.Examples++;
            Report.CountRow(example.Source, turn.Moved);
            var prompt = TruncatePrompt(turn.Prompt);
            if (!Fits(prompt, example.Source)) continue;
            encoded.Add(new EncodedCompletion(prompt, TruncateResponse(prompt, turn.Response), example.Desirable, example.Source));
        }
        return encoded;
    }

    public IReadOnlyList<EncodedSft> EncodeSft(IEnumerable<SftExample> examples)
    {
        var rows = examples.ToList();
        var turns = EncodeRows(rows, e => Encode(e.Prompt, e.Completion, e.Source));
        var encoded = new List<EncodedSft>();
        foreach (var (example, turn) in rows.Zip(turns))
        {
            Report.Examples++;
            Report.CountRow(example.Source, turn.Moved);
            var prompt = TruncatePrompt(turn.Prompt);
            if (!Fits(prompt, example.Source)) continue;
            encoded.Add(new EncodedSft(prompt, TruncateResponse(prompt, turn.Response), example.Source));
        }
        return encoded;
    }

    private EncodedTurn Encode(Prompt prompt, Completion completion)
    {
        return (prompt.Kind, completion.Kind) switch
        {
            (SegmentKind.TokenIds, SegmentKind.TokenIds) => new EncodedTurn(prompt.TokenIds!, completion.TokenIds!),
            (SegmentKind.Text, SegmentKind.Text) => Text(completion).EncodeText(prompt.Text!, completion.Text!),
            (SegmentKind.Messages, SegmentKind.Messages) => Text(completion).EncodeChat(ToChat(prompt.Messages!), ToChat(completion.Messages!)),
            _ => throw new SimperException($"{completion.GetType().Name.ToLowerInvariant()} is {completion.Kind} but its prompt is {prompt.Kind}"),
        };
    }

    // Language-modelling SFT: the whole text or conversation is the response; a plain text gets BOS in front.
    private EncodedTurn EncodeWhole(Completion completion)
    {
        return completion.Kind switch
        {
            SegmentKind.TokenIds => new EncodedTurn([], completion.TokenIds!),
            SegmentKind.Text => Text(completion).EncodeText("", completion.Text!),
            _ => Text(completion).EncodeChat([], ToChat(completion.Messages!)),
        };
    }

    // Pre-tokenized rows need no tokenizer, so a model folder without tokenizer files is fine until a text row comes.
    private PromptResponseEncoder Text(Completion completion) => encoder ?? throw new NoTokenizerException(completion.Kind);

    private sealed class NoTokenizerException(SegmentKind kind) : Exception(
        $"the row is {kind.ToString().ToLowerInvariant()} but the model folder has no tokenizer files; give pre-tokenized rows or a model folder with a tokenizer");

    // A null prompt is language-modelling SFT; errors of the chat template are given the row they came from.
    private EncodedTurn Encode(Prompt? prompt, Completion completion, RowSource source)
    {
        try { return InVocabulary(prompt is null ? EncodeWhole(completion) : Encode(prompt, completion), source); }
        catch (TemplateException e) { throw new SimperException($"{source}: chat template failed: {e.Message}", e); }
        catch (NoTokenizerException e) { throw new SimperException($"{source}: {e.Message}", e); }
    }

    private EncodedTurn InVocabulary(EncodedTurn turn, RowSource source)
    {
        if (VocabSize is not int size) return turn;
        foreach (var id in turn.Prompt.Concat(turn.Response))
            if (id < 0 || id >= size)
                throw new SimperException($"{source}: token id {id} is outside the model's vocabulary; expected ids from 0 to {size - 1} (config.json vocab_size {size})");
        return turn;
    }

    private int[] TruncatePrompt(int[] prompt)
    {
        if (prompt.Length <= truncation.MaxPromptLength) return prompt;
        Report.PromptsTruncated++;
        return truncation.KeepPromptEnd ? prompt[^truncation.MaxPromptLength..] : prompt[..truncation.MaxPromptLength];
    }

    private bool Fits(int[] prompt, RowSource source)
    {
        if (prompt.Length < truncation.MaxLength) return true;
        Report.Dropped++;
        if (Report.DroppedRows.Count < 10) Report.DroppedRows.Add(source.ToString());
        return false;
    }

    private int[] TruncateResponse(int[] prompt, int[] response)
    {
        var room = truncation.MaxLength - prompt.Length;
        if (response.Length <= room) return response;
        Report.ResponsesTruncated++;
        return response[..room];
    }

    private static IReadOnlyList<ChatMessage> ToChat(IReadOnlyList<Message> messages) =>
        messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList();
}
