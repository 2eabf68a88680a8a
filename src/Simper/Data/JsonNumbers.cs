using System.Text.Json.Nodes;

namespace Simper.Data;

/// <summary>
/// Numbers from JSON values whether they were parsed from JSON text or built from Parquet's CLR values (an int64
/// column gives a long, which JsonValue will not hand out as an int by itself).
/// </summary>
internal static class JsonNumbers
{
    public static bool TryGetInt32(JsonValue value, out int result)
    {
        if (value.TryGetValue(out result)) return true;
        if (value.TryGetValue(out long wide) && wide is >= int.MinValue and <= int.MaxValue) { result = (int)wide; return true; }
        if (value.TryGetValue(out short small)) { result = small; return true; }
        if (value.TryGetValue(out byte tiny)) { result = tiny; return true; }
        result = 0;
        return false;
    }

    public static bool TryGetDouble(JsonValue value, out double result)
    {
        if (value.TryGetValue(out result)) return true;
        if (value.TryGetValue(out float single)) { result = single; return true; }
        if (value.TryGetValue(out long wide)) { result = wide; return true; }
        if (value.TryGetValue(out int narrow)) { result = narrow; return true; }
        if (value.TryGetValue(out decimal exact)) { result = (double)exact; return true; }
        result = 0;
        return false;
    }
}
