using System.CommandLine;
using Engine.Cli.Commands;

var root = new RootCommand("engine: LLM data synthesis, data selection and data-efficient training on a from-scratch transformer runtime.");
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(TestbedCommand.Create());
root.Subcommands.Add(InitModelCommand.Create());
root.Subcommands.Add(ScoreCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(MergeCommand.Create());
root.Subcommands.Add(ChatCommand.Create());
root.Subcommands.Add(SelectItCommand.Create());
root.Subcommands.Add(KernelsCommand.Create());
root.Subcommands.Add(SftCommand.Create());
root.Subcommands.Add(DpoCommand.Create());
root.Subcommands.Add(KtoCommand.Create());
root.Subcommands.Add(CommonItCommand.Create());
root.Subcommands.Add(CclCommand.Create());
root.Subcommands.Add(ServeCommand.Create());
root.Subcommands.Add(AptCommand.Create());
root.Subcommands.Add(CdtCommand.Create());
root.Subcommands.Add(SelectionBenchmarkCommand.Create());
root.Subcommands.Add(AQuiltCommand.Create());
root.Subcommands.Add(LongMtCommand.Create());
root.Subcommands.Add(LsmCommand.Create());
root.Subcommands.Add(PruneCommand.Create());
root.Subcommands.Add(SeaPoCommand.Create());
root.Subcommands.Add(DistributedCommand.Create());
try
{
    var parsed = root.Parse(args);
    if (parsed.Errors.Count == 0 && parsed.Action is not System.CommandLine.Help.HelpAction)
        Engine.Cli.Infrastructure.DistributedCli.RefuseUnderLauncher(parsed.CommandResult.Command);
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    // Users get the message, not a stack trace; ENGINE_DEBUG=1 shows the full exception.
    Console.Error.WriteLine(Environment.GetEnvironmentVariable("ENGINE_DEBUG") == "1" ? e.ToString() : $"error: {e.Message}");
    return 1;
}
