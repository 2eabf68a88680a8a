using Simper.Training;
using Spectre.Console;

namespace Simper.Cli;

/// <summary>
/// Progress on stderr: a live Spectre.Console bar (step, loss, tokens/s, ETA) when stderr is a terminal, plain
/// periodic lines when it is redirected to a file or pipe or runs under mpirun, so logs stay readable.
/// </summary>
internal static class ProgressSinks
{
    public static T Run<T>(Func<IProgressSink, T> work)
    {
        // mpirun forwards each rank's output through its own terminal, where a live bar only garbles.
        if (Console.IsErrorRedirected || Simper.Distributed.Communicators.LaunchedByMpi) return work(new TextProgressSink(Console.Error));
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context => result = work(new SpectreProgressSink(context)));
        return result;
    }

    private sealed class SpectreProgressSink(ProgressContext context) : IProgressSink
    {
        private ProgressTask? _task;

        public void Report(ProgressUpdate update)
        {
            _task ??= context.AddTask("training", maxValue: update.TotalSteps);
            _task.Value = update.Step;
            _task.Description = Markup.Escape(update.ToString());
        }

        public void Finish() => _task?.StopTask();
    }
}
