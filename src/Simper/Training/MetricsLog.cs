using System.Globalization;
using System.Text.Json;
using TorchSharp;

namespace Simper.Training;

/// <summary>One line of metrics.jsonl: the optimizer step, the (fractional) epoch and the metric values.</summary>
public sealed record MetricsRecord(int Step, double Epoch, IReadOnlyDictionary<string, double> Values)
{
    public double? this[string name] => Values.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// Records training and evaluation metrics: one JSON object per line in <c>&lt;output&gt;/metrics.jsonl</c>, flushed as
/// written so a crash loses nothing logged, and TensorBoard scalars in <c>&lt;output&gt;/runs/</c> tagged as Hugging Face's
/// TensorBoard callback does (<c>train/loss</c>, <c>eval/loss</c>).
/// </summary>
public sealed class MetricsLog : IDisposable
{
    public const string FileName = "metrics.jsonl";
    public const string TensorBoardFolderName = "runs";

    private readonly FileStream _file;
    private readonly TorchSharp.Modules.SummaryWriter _tensorBoard;

    public string FilePath { get; }
    public string TensorBoardFolder => _tensorBoard.LogDir;

    /// <summary>Opens the log in <paramref name="outputFolder"/>, appending to an existing metrics.jsonl (a resumed run).</summary>
    public MetricsLog(string outputFolder)
    {
        Directory.CreateDirectory(outputFolder);
        FilePath = Path.Combine(outputFolder, FileName);
        _file = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.Read);
        _tensorBoard = torch.utils.tensorboard.SummaryWriter(Path.Combine(outputFolder, TensorBoardFolderName));
    }

    /// <summary>Logs training metrics (names from <see cref="MetricNames"/>) at an optimizer step.</summary>
    public void LogTraining(int step, double epoch, IReadOnlyDictionary<string, double> metrics) =>
        Write(step, epoch, metrics.Select(m => (m.Key, m.Value)), tensorBoardPrefix: "train/");

    /// <summary>Logs evaluation metrics, prefixing each name with <c>eval_</c> as TRL does.</summary>
    public void LogEvaluation(int step, double epoch, IReadOnlyDictionary<string, double> metrics) =>
        Write(step, epoch, metrics.Select(m => (MetricNames.Eval(m.Key), m.Value)), tensorBoardPrefix: "eval/");

    private void Write(int step, double epoch, IEnumerable<(string Name, double Value)> metrics, string tensorBoardPrefix)
    {
        var values = metrics.ToList();
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber(MetricNames.Step, step);
            json.WriteNumber(MetricNames.Epoch, Math.Round(epoch, 4));
            foreach (var (name, value) in values) WriteNumber(json, name, value);
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        _file.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
        _file.Flush(flushToDisk: true);

        foreach (var (name, value) in values)
        {
            var tag = tensorBoardPrefix + (name.StartsWith(MetricNames.EvalPrefix, StringComparison.Ordinal)
                ? name[MetricNames.EvalPrefix.Length..] : name);
            _tensorBoard.add_scalar(tag, (float)value, step);
        }
        _tensorBoard.add_scalar(tensorBoardPrefix + MetricNames.Epoch, (float)epoch, step);
    }

    // JSON has no NaN or infinity; they are written as strings, as System.Text.Json's named-literal handling reads them.
    private static void WriteNumber(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteString(name, value.ToString(CultureInfo.InvariantCulture));
    }

    public void Dispose() => _file.Dispose();

    /// <summary>
    /// Reads metrics.jsonl. A malformed last line (a write cut short by a crash) is ignored; a malformed line
    /// elsewhere is an error naming the file and line.
    /// </summary>
    public static IReadOnlyList<MetricsRecord> Read(string path)
    {
        if (!File.Exists(path)) throw new SimperException($"{path}: metrics file not found");
        var lines = File.ReadAllLines(path);
        var records = new List<MetricsRecord>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var record = Parse(lines[i], out var problem);
            if (record is not null) records.Add(record);
            else if (i < lines.Length - 1) throw new SimperException($"{path}:{i + 1}: {problem}");
        }
        return records;
    }

    /// <summary>Removes the records after <paramref name="step"/>, so a run resumed from that step's checkpoint
    /// does not log the steps it repeats twice.</summary>
    public static void DropAfter(string path, int step)
    {
        if (!File.Exists(path)) return;
        var kept = File.ReadAllLines(path).Where(line => Parse(line, out _) is { } r && r.Step <= step);
        AtomicFile.WriteAllText(path, string.Concat(kept.Select(line => line + "\n")));
    }

    private static MetricsRecord? Parse(string line, out string problem)
    {
        problem = "";
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(MetricNames.Step, out var stepElement)
                || !stepElement.TryGetInt32(out var step))
            {
                problem = "expected a JSON object with an integer \"step\"";
                return null;
            }
            var epoch = root.TryGetProperty(MetricNames.Epoch, out var e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : 0;
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is MetricNames.Step or MetricNames.Epoch) continue;
                if (property.Value.ValueKind == JsonValueKind.Number) values[property.Name] = property.Value.GetDouble();
                else if (property.Value.ValueKind == JsonValueKind.String
                         && double.TryParse(property.Value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    values[property.Name] = v;
            }
            return new MetricsRecord(step, epoch, values);
        }
        catch (JsonException e)
        {
            problem = "not a JSON object: " + e.Message;
            return null;
        }
    }
}
