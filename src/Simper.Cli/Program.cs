using Simper.Cli;

return CommandLine.Run(args);
