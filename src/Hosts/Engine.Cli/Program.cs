using System.CommandLine;
using Engine.Cli.Commands;

var root = new RootCommand("engine: LLM data synthesis, data selection and data-efficient training on a from-scratch transformer runtime.");
root.Subcommands.Add(DoctorCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return await root.Parse(args).InvokeAsync();
