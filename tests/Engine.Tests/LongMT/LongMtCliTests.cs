using System.CommandLine;
using Engine.Cli.Commands;
using Engine.Methods.Synthesis.LongMT;

namespace Engine.Tests.LongMT;

public class LongMtCliTests
{
    [Fact]
    public void EveryOptionOfEverySubcommandIsDocumented()
    {
        var root = LongMtCommand.Create();
        Assert.False(string.IsNullOrWhiteSpace(root.Description));
        Assert.Equal(["translate", "sample", "score", "testbed", "experiment"], root.Subcommands.Select(c => c.Name));
        foreach (var cmd in root.Subcommands)
        {
            Assert.False(string.IsNullOrWhiteSpace(cmd.Description), cmd.Name);
            Assert.All(cmd.Options, o => Assert.False(string.IsNullOrWhiteSpace(o.Description), $"longmt {cmd.Name} {o.Name}"));
        }
        Assert.Contains(root.Subcommands[0].Options, o => o.Name == "--resume");
        Assert.Contains(root.Subcommands[1].Options, o => o.Name == "--simulations");
    }

    [Fact]
    public void PromptSetsHaveEverySectionAndFilesAreChecked()
    {
        foreach (var p in new[] { LongMtPrompts.Default, LongMtPrompts.Compact })
            Assert.All(LongMtPrompts.Sections, s => Assert.False(string.IsNullOrWhiteSpace(p[s]), $"{p.Name}: {s}"));
        var e = Assert.Throws<FormatException>(() => LongMtPrompts.Parse("### system\nhi\n### bogus\nx", "mine.txt"));
        Assert.Contains("bogus", e.Message);
        var missing = Assert.Throws<FormatException>(() => LongMtPrompts.Parse("### system\nhi", "mine.txt"));
        Assert.Contains("translate", missing.Message);
        // A translation prompt carries the page with markers and, with memory, the selected items.
        var lang = new Languages("en", "de");
        var plain = LongMtPrompts.Default.Translate(lang, ["Hello.", "Bye."], AuxContext.None);
        Assert.Contains("#0 <s>Hello.</s>\n#1 <s>Bye.</s>", plain);
        Assert.Contains("from English to German", plain);
        var aux = new AuxContext([(MemoryModule.LookUpEntities, [new EntityItem("Karo", "Karoa", "first translated on page 1")])]);
        Assert.Contains("[1] Karo / Karoa: first translated on page 1", LongMtPrompts.Default.Translate(lang, ["Hello."], aux));
    }
}
