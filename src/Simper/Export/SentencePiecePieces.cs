namespace Simper.Export;

/// <summary>A piece of a SentencePiece model as GGUF stores it: text, score and sentencepiece_model.proto's type.</summary>
public sealed record SentencePiece(string Text, float Score, int Type);

/// <summary>
/// Reads the pieces of a SentencePiece <c>tokenizer.model</c> (protobuf: field 1 of ModelProto is a repeated
/// SentencePiece {1: piece, 2: score, 3: type}) with a few lines of wire-format decoding, so the export needs no
/// protobuf library and no tokenizer class.
/// </summary>
public static class SentencePiecePieces
{
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    public static List<SentencePiece> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var pieces = new List<SentencePiece>();
        try
        {
            int pos = 0;
            while (pos < bytes.Length)
            {
                var (field, wire) = Tag(bytes, ref pos);
                if (field == 1 && wire == 2)
                {
                    var length = (int)Varint(bytes, ref pos);
                    pieces.Add(Piece(bytes.AsSpan(pos, length)));
                    pos += length;
                }
                else Skip(bytes, ref pos, wire);
            }
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or InvalidDataException)
        {
            throw new SimperException($"{path}: not a SentencePiece model ({e.Message})", e);
        }
        if (pieces.Count == 0) throw new SimperException($"{path}: the SentencePiece model has no pieces");
        return pieces;
    }

    private static SentencePiece Piece(ReadOnlySpan<byte> span)
    {
        var bytes = span.ToArray();
        string text = ""; float score = 0; int type = Normal;
        int pos = 0;
        while (pos < bytes.Length)
        {
            var (field, wire) = Tag(bytes, ref pos);
            switch (field, wire)
            {
                case (1, 2):
                    var length = (int)Varint(bytes, ref pos);
                    text = System.Text.Encoding.UTF8.GetString(bytes, pos, length);
                    pos += length;
                    break;
                case (2, 5): score = BitConverter.ToSingle(bytes, pos); pos += 4; break;
                case (3, 0): type = (int)Varint(bytes, ref pos); break;
                default: Skip(bytes, ref pos, wire); break;
            }
        }
        return new SentencePiece(text, score, type);
    }

    private static (int Field, int Wire) Tag(byte[] bytes, ref int pos)
    {
        var tag = Varint(bytes, ref pos);
        return ((int)(tag >> 3), (int)(tag & 7));
    }

    private static ulong Varint(byte[] bytes, ref int pos)
    {
        ulong value = 0;
        for (int shift = 0; ; shift += 7)
        {
            if (shift > 63) throw new InvalidDataException("varint longer than 10 bytes");
            var b = bytes[pos++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return value;
        }
    }

    private static void Skip(byte[] bytes, ref int pos, int wire)
    {
        switch (wire)
        {
            case 0: Varint(bytes, ref pos); break;
            case 1: pos += 8; break;
            case 2: var length = (int)Varint(bytes, ref pos); pos += length; break;
            case 5: pos += 4; break;
            default: throw new InvalidDataException($"wire type {wire}");
        }
        if (pos > bytes.Length) throw new InvalidDataException("field runs past the end");
    }
}
