using System.CommandLine;

namespace Engine.Cli.Commands;

/// <summary>`engine lsm`: Self-Powered LSM — a speech LLM trained on answers its own LLM writes from transcripts (Yu et al., EMNLP 2024).</summary>
public static class LsmCommand
{
    public static Command Create()
    {
        var cmd = new Command("lsm", "Self-Powered LSM: turn a text LLM into a speech LLM (frozen Whisper encoder → window Q-Former → projection → LLM) "
            + "trained on targets the LLM writes for itself from ASR transcripts. Steps: gen-targets, train, generate; experiment measures it on the spoken testbed.");
        cmd.Subcommands.Add(LsmGenTargetsCommand.Create());
        cmd.Subcommands.Add(LsmTrainCommand.Create());
        cmd.Subcommands.Add(LsmGenerateCommand.Create());
        cmd.Subcommands.Add(LsmExperimentCommand.Create());
        return cmd;
    }
}
