using System.CommandLine;
using Engine.Cli.Commands;

namespace Engine.Tests.Training;

public class TrainingCliTests
{
    public static IEnumerable<object[]> Verbs() => [[SftCommand.Create()], [DpoCommand.Create()], [KtoCommand.Create()]];

    [Theory]
    [MemberData(nameof(Verbs))]
    public void EveryOptionIsDocumented(Command cmd)
    {
        Assert.False(string.IsNullOrWhiteSpace(cmd.Description));
        foreach (var o in cmd.Options)
            Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{cmd.Name} {o.Name} has no description");
        var names = cmd.Options.Select(o => o.Name).ToHashSet();
        foreach (var n in new[] { "--model", "--data", "--eval-data", "--eval-split", "--output", "--lr", "--schedule", "--warmup-steps", "--warmup-ratio",
                     "--epochs", "--max-steps", "--batch-size", "--grad-accum", "--max-grad-norm", "--weight-decay", "--seed", "--save-steps",
                     "--eval-steps", "--log-steps", "--resume", "--lora", "--lora-r", "--lora-alpha", "--lora-dropout", "--lora-targets",
                     "--save-adapter", "--max-length", "--skip-bad-records", "--device" })
            Assert.Contains(n, names);
        var extra = cmd.Name switch { "dpo" => new[] { "--beta", "--sft-alpha" }, "kto" => ["--beta", "--desirable-weight", "--undesirable-weight"], _ => ["--sampler"] };
        foreach (var n in extra) Assert.Contains(n, names);
    }

    [Fact]
    public void MissingRequiredOptionsAreParseErrors()
    {
        var r = SftCommand.Create().Parse(["--lr", "1e-3"]);
        Assert.NotEmpty(r.Errors);
        Assert.Contains(r.Errors, e => e.Message.Contains("--data") || e.Message.Contains("--output"));
    }
}
