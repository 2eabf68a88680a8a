using System.Runtime.ExceptionServices;
using TorchSharp;

namespace Simper.Demo;

/// <summary>
/// Runs independent pieces of torch work a few at a time, each on a .NET thread of its own with libtorch on one
/// intra-op thread, and returns their results in the order given, whatever order they finish in.
/// </summary>
/// <remarks>
/// A model as small as the demo's keeps one core busy but cannot use a second one well, so two runs side by side
/// on one thread each finish in about half the time of the same runs one after the other on two threads.
/// libtorch's thread count is kept per OS thread (OpenMP's setting), as are grad mode and TorchSharp's dispose
/// scopes, so a worker's setting changes neither the caller's nor the other worker's. The result of each piece is
/// the one it gives alone only if it draws nothing from shared state such as libtorch's default generator: callers
/// must pass work that does not (see <see cref="DemoPipeline"/>). With <c>atOnce</c> = 1 the same work runs one
/// piece at a time on one worker, on one intra-op thread likewise, so the two schedules compute the same values.
/// </remarks>
public static class SideBySide
{
    // Deep autograd graphs call back into managed code (custom backward functions) on the worker's own stack.
    private const int WorkerStackBytes = 16 << 20;

    public static void Run(IReadOnlyList<Action> work, int atOnce) =>
        Run(work.Select(w => (Func<bool>)(() => { w(); return true; })).ToList(), atOnce);

    public static IReadOnlyList<T> Run<T>(IReadOnlyList<Func<T>> work, int atOnce)
    {
        if (atOnce < 1) throw new ArgumentOutOfRangeException(nameof(atOnce), atOnce, "must be at least 1");
        var results = new T[work.Count];
        var next = -1;
        ExceptionDispatchInfo? failure = null;
        void Worker()
        {
            torch.set_num_threads(1);
            int i;
            while (Volatile.Read(ref failure) is null && (i = Interlocked.Increment(ref next)) < work.Count)
            {
                try { results[i] = work[i](); }
                catch (Exception e) { Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null); }
            }
        }
        var workers = Enumerable.Range(0, Math.Min(atOnce, work.Count))
            .Select(n => new Thread(Worker, WorkerStackBytes) { Name = $"side-by-side {n}", IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        failure?.Throw();
        return results;
    }
}
