using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Simper.Cli.Commands;

/// <summary>How commands print: data (JSON or text) to stdout, logs and progress to stderr.</summary>
internal static class Output
{
    /// <summary>Compact JSON that keeps non-ASCII text readable (still valid JSON).</summary>
    public static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ToJson(JsonNode node) => node.ToJsonString(Json);

    /// <summary>Whether this process prints and writes results: always alone, rank 0 alone under mpirun (the other
    /// ranks would repeat every line). Errors are printed by every rank that has one.</summary>
    public static bool Writes => Simper.Distributed.Communicators.EnvironmentRank == 0;

    /// <summary>Where logs go: stderr, or nowhere on ranks other than 0.</summary>
    public static TextWriter Logs => Writes ? Console.Error : TextWriter.Null;

    public static void Log(string message) => Logs.WriteLine(message);

    /// <summary>A progress sink printing "label: done/total" to stderr, at most every <paramref name="every"/> items and at the end.</summary>
    public static IProgress<int> Progress(string label, int total, int every = 1) => new SyncProgress(done =>
    {
        if (done % every == 0 || done == total) Log($"{label}: {done}/{total}");
    });

    /// <summary>A progress sink printing "label: done" to stderr every <paramref name="every"/> items, when the total is not known up front.</summary>
    public static IProgress<int> Count(string label, int every) => new SyncProgress(done =>
    {
        if (done % every == 0) Log($"{label}: {done}");
    });

    /// <summary>Reports on the calling thread (System.Progress posts to the thread pool, which would reorder the log).</summary>
    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
