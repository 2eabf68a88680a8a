namespace Simper.Tokenization;

/// <summary>
/// GPT-2's byte-to-character map (bytes_to_unicode): printable bytes stand for themselves, the other bytes for the
/// characters from U+0100 on, so every byte string is a string of visible characters.
/// </summary>
public static class ByteLevelAlphabet
{
    public static char[] ByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }
}
