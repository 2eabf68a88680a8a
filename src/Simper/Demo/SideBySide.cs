using System.Runtime.ExceptionServices;

namespace Simper.Demo;

/// <summary>
/// Runs independent pieces of work a few at a time, each on a thread of its own; the first failure stops the
/// others from starting new pieces and is rethrown as it was.
/// </summary>
/// <remarks>
/// The pieces the demo gives it wait on child processes, which do the computing: torch work on several threads of one
/// process would share libtorch's default generator and TorchSharp's reliance on the garbage collector (see
/// <see cref="DemoPipeline"/>).
/// </remarks>
public static class SideBySide
{
    public static void Run(IReadOnlyList<Action> work, int atOnce)
    {
        if (atOnce < 1) throw new ArgumentOutOfRangeException(nameof(atOnce), atOnce, "must be at least 1");
        var next = -1;
        ExceptionDispatchInfo? failure = null;
        void Worker()
        {
            int i;
            while (Volatile.Read(ref failure) is null && (i = Interlocked.Increment(ref next)) < work.Count)
            {
                try { work[i](); }
                catch (Exception e) { Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null); }
            }
        }
        var workers = Enumerable.Range(0, Math.Min(atOnce, work.Count))
            .Select(n => new Thread(Worker) { Name = $"side-by-side {n}", IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        failure?.Throw();
    }
}
