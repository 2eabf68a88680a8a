using System.CommandLine;
using System.CommandLine.Help;
using Simper.Cli.Commands;
using Simper.Distributed;
using Simper.Runtime;
using Simper.Training;

namespace Simper.Cli;

/// <summary>Builds the `simper` command tree and turns user errors into one-line messages with a non-zero exit.</summary>
public static class CommandLine
{
    public const int UserError = 2;
    public const int InternalError = 70;

    public const string Name = "simper";

    /// <summary>
    /// The root command, named `simper` rather than after the assembly (as RootCommand would be), so help and usage
    /// lines read the same under `dotnet run`, the installed tool and the built binary.
    /// </summary>
    public static Command Build()
    {
        var root = new Command(Name,
            "Simper: align language models with human preferences (SimPER, DPO, IPO, KTO, CPO, SLiC, SimPO, ORPO).");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        foreach (var command in AllCommands()) root.Subcommands.Add(command);
        return root;
    }

    private static IEnumerable<Command> AllCommands() =>
    [
        InitCommand.Create(),
        GenerateCommand.Create(),
        EvalCommand.Create(),
        PerplexityCommand.Create(),
        ExportCommand.Create(),
        PreviewCommand.Create(),
        TrainCommand.Create(TrainingSettings.SftMethod),
        TrainCommand.Create("train"),
        PrecomputeRefCommand.Create(),
        DemoCommand.Create(),
        BenchCommand.Create(),
    ];

    public static int Run(string[] args)
    {
        // mpirun hands each rank a pseudo-terminal, on which .NET's console would begin stdout with the terminal's
        // keypad-mode escape; the data a rank prints must be the bytes a lone process prints.
        if (Communicators.LaunchedByMpi) Environment.SetEnvironmentVariable("TERM", "dumb");
        // Before libtorch's first operation (see ProcessSetup; loading the library applies it too).
        ProcessSetup.Apply();
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // One line, like every other user error; `--help` shows the options.
            Console.Error.WriteLine($"error: {parse.Errors[0].Message} (see --help)");
            return UserError;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (Unwrap(e) is SimperException user)
        {
            Console.Error.WriteLine($"error: {RankPrefix()}{SettingFlags.Message(user)}");
            return EndJob(UserError);
        }
        catch (Exception e) when (Communicators.Started is { Size: > 1 } && Unwrap(e) is not OperationCanceledException)
        {
            // Under mpirun one line names the failing rank; a stack trace from every rank would bury it.
            var inner = Unwrap(e);
            Console.Error.WriteLine($"error: {RankPrefix()}{inner.GetType().Name}: {inner.Message}");
            return EndJob(InternalError);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    private static string RankPrefix() =>
        Communicators.LaunchedByMpi ? $"rank {Communicators.EnvironmentRank}: " : "";

    /// <summary>A failed rank ends the whole job: the others would otherwise wait in their next collective forever.</summary>
    private static int EndJob(int exitCode)
    {
        if (Communicators.Started is { Size: > 1 } ranks) ranks.Abort(exitCode);
        return exitCode;
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is AggregateException or System.Reflection.TargetInvocationException or TypeInitializationException
               && e.InnerException != null)
            e = e.InnerException!;
        return e;
    }
}
