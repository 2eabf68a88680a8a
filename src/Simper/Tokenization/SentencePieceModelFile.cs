using Google.Protobuf;
using Microsoft.ML.Tokenizers;

namespace Simper.Tokenization;

/// <summary>
/// Reads a SentencePiece <c>tokenizer.model</c> (protobuf, sentencepiece_model.proto) of model type BPE and turns it
/// into vocabulary + merges the way Hugging Face's SentencePiece converter does (a pair merges when both halves and
/// their join are pieces, ranked by the join's score). Microsoft.ML.Tokenizers parses the same file internally but
/// does not expose pieces, scores or types, and its own SentencePiece BPE breaks equal-score ties at the rightmost
/// pair where SentencePiece takes the leftmost ("!!!!!!" encodes differently), so the merging runs on its
/// <see cref="BpeTokenizer"/> instead.
/// </summary>
internal static class SentencePieceModelFile
{
    private enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    private sealed record Piece(string Text, float Score, PieceType Type);

    public sealed record Loaded(MetaspaceBpeModel Model, List<AddedToken> AddedTokens, string? Bos, string? Eos, string? Unk, string? Pad);

    public static Loaded Read(string path)
    {
        var pieces = new List<Piece>();
        int modelType = 1, unkId = 0, bosId = 1, eosId = 2, padId = -1;
        bool byteFallback = false, addDummyPrefix = true, removeExtraWhitespaces = true;
        try
        {
            var input = new CodedInputStream(File.ReadAllBytes(path));
            for (uint tag; (tag = input.ReadTag()) != 0;)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1: pieces.Add(ReadPiece(new CodedInputStream(input.ReadBytes().ToByteArray()))); break;
                    case 2: ReadTrainerSpec(new CodedInputStream(input.ReadBytes().ToByteArray())); break;
                    case 3: ReadNormalizerSpec(new CodedInputStream(input.ReadBytes().ToByteArray())); break;
                    default: input.SkipLastField(); break;
                }
            }
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new SimperException($"{path}: not a SentencePiece model ({e.Message}).", e);
        }
        if (modelType != 2)
            throw new SimperException($"{path}: SentencePiece model type {modelType} is not supported; expected 2 (BPE).");
        if (pieces.Count == 0) throw new SimperException($"{path}: the SentencePiece model has no pieces.");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < pieces.Count; id++) vocab.TryAdd(pieces[id].Text, id);
        var added = new List<AddedToken>();
        for (int id = 0; id < pieces.Count; id++)
        {
            var p = pieces[id];
            if (p.Type is PieceType.Control or PieceType.Unknown) added.Add(new AddedToken(id, p.Text, Special: true));
            else if (p.Type == PieceType.UserDefined) added.Add(new AddedToken(id, p.Text, Special: false));
        }
        string? PieceAt(int id) => id >= 0 && id < pieces.Count ? pieces[id].Text : null;

        var model = new MetaspaceBpeModel(vocab, Merges(pieces, vocab), PieceAt(unkId), byteFallback,
            addDummyPrefix, removeExtraWhitespaces,
            () => SentencePieceTokenizer.Create(File.OpenRead(path), false, false));
        return new Loaded(model, added, PieceAt(bosId), PieceAt(eosId), PieceAt(unkId), PieceAt(padId));

        void ReadTrainerSpec(CodedInputStream s)
        {
            for (uint tag; (tag = s.ReadTag()) != 0;)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 3: modelType = s.ReadEnum(); break;
                    case 35: byteFallback = s.ReadBool(); break;
                    case 40: unkId = s.ReadInt32(); break;
                    case 41: bosId = s.ReadInt32(); break;
                    case 42: eosId = s.ReadInt32(); break;
                    case 43: padId = s.ReadInt32(); break;
                    default: s.SkipLastField(); break;
                }
            }
        }

        void ReadNormalizerSpec(CodedInputStream s)
        {
            for (uint tag; (tag = s.ReadTag()) != 0;)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 3: addDummyPrefix = s.ReadBool(); break;
                    case 4: removeExtraWhitespaces = s.ReadBool(); break;
                    default: s.SkipLastField(); break;
                }
            }
        }
    }

    private static Piece ReadPiece(CodedInputStream s)
    {
        string text = ""; float score = 0; var type = PieceType.Normal;
        for (uint tag; (tag = s.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: text = s.ReadString(); break;
                case 2: score = s.ReadFloat(); break;
                case 3: type = (PieceType)s.ReadEnum(); break;
                default: s.SkipLastField(); break;
            }
        }
        return new Piece(text, score, type);
    }

    /// <summary>Merges among normal pieces, ordered by the joined piece's score (highest first), then by the halves' ids.</summary>
    private static List<string> Merges(List<Piece> pieces, Dictionary<string, int> vocab)
    {
        bool IsNormal(string s, out int id) => vocab.TryGetValue(s, out id) && pieces[id].Type == PieceType.Normal;
        var byScore = Enumerable.Range(0, pieces.Count)
            .Where(id => pieces[id].Type == PieceType.Normal)
            .OrderByDescending(id => pieces[id].Score).ThenBy(id => id);
        var merges = new List<string>();
        var local = new List<(int Left, int Right, string Merge)>();
        foreach (var id in byScore)
        {
            var text = pieces[id].Text;
            local.Clear();
            for (int cut = 1; cut < text.Length; cut++)
            {
                if (IsNormal(text[..cut], out var left) && IsNormal(text[cut..], out var right))
                    local.Add((left, right, text[..cut] + " " + text[cut..]));
            }
            merges.AddRange(local.OrderBy(m => m.Left).ThenBy(m => m.Right).Select(m => m.Merge));
        }
        return merges;
    }
}
