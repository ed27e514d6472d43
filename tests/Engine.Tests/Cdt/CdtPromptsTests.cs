using Engine.Methods.Selection.CDT;

namespace Engine.Tests.Cdt;

/// <summary>The tagging prompts: every option present, shuffled per sample but reproducibly, the instruction put in verbatim.</summary>
public class CdtPromptsTests
{
    private static readonly CdtLabelSet Labels = CdtLabelSet.Default;

    private static List<string> OptionLines(string user, string header)
    {
        int at = user.IndexOf(header, StringComparison.Ordinal) + header.Length;
        var rest = user[at..];
        return rest[..rest.IndexOf("\n\n", StringComparison.Ordinal)].Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    [Fact]
    public void EveryLabelIsOfferedOnceInAPerSampleOrder()
    {
        var (_, a) = CdtPrompts.Default.Build(CdtDimension.Cognition, "Add 17 and 25.", Labels, CdtPromptStyle.Full);
        var (_, again) = CdtPrompts.Default.Build(CdtDimension.Cognition, "Add 17 and 25.", Labels, CdtPromptStyle.Full);
        var (_, other) = CdtPrompts.Default.Build(CdtDimension.Cognition, "Add 17 and 26.", Labels, CdtPromptStyle.Full);
        Assert.Equal(a, again);
        var la = OptionLines(a, "[Skills]");
        var lo = OptionLines(other, "[Skills]");
        Assert.Equal(18, la.Count);
        Assert.Equal(Labels.Cognition.Names.Order(StringComparer.Ordinal), la.Select(l => l[..l.IndexOf(':')]).Order(StringComparer.Ordinal));
        Assert.Equal(la.Order(StringComparer.Ordinal), lo.Order(StringComparer.Ordinal));
        Assert.NotEqual(la, lo);   // 18! orders: two instructions sharing one is a 1-in-6e15 event
        // Over many instructions, each code leads the list sometimes: the shuffle spreads position bias.
        var firsts = Enumerable.Range(0, 400).Select(i => OptionLines(CdtPrompts.Default.Build(CdtDimension.Cognition, $"Question {i}", Labels, CdtPromptStyle.Compact).User, "[Skills]")[0]).ToHashSet();
        Assert.Equal(18, firsts.Count);
        // The option seed changes the order, not the set.
        var (_, seeded) = CdtPrompts.Default.Build(CdtDimension.Cognition, "Add 17 and 25.", Labels, CdtPromptStyle.Full, seed: 7);
        Assert.NotEqual(la, OptionLines(seeded, "[Skills]"));
    }

    [Fact]
    public void DomainsAreListedAsMainDomainWithItsSubdomains()
    {
        var (system, user) = CdtPrompts.Default.Build(CdtDimension.Domain, "Which planet is largest?", Labels, CdtPromptStyle.Full);
        Assert.Contains("subject domain", system);
        var lines = OptionLines(user, "[Domains]");
        Assert.Equal(9, lines.Count);
        Assert.Contains("Math: Mathematics, Logic", lines);
        Assert.Contains("9 main domains", user);
        Assert.Contains("33 subdomains", user);
    }

    [Fact]
    public void CompactStyleDropsDefinitionsAndTheInstructionIsKeptVerbatim()
    {
        const string instruction = "Fill in {options} and {count}:\n\n\"x\" = {1, 2}";
        var (_, full) = CdtPrompts.Default.Build(CdtDimension.Task, instruction, Labels, CdtPromptStyle.Full);
        var (_, compact) = CdtPrompts.Default.Build(CdtDimension.Task, instruction, Labels, CdtPromptStyle.Compact);
        Assert.Contains("Extractive QA: ", full);
        Assert.DoesNotContain("Extractive QA: ", compact);
        Assert.Contains("\nExtractive QA\n", compact + "\n");
        Assert.True(compact.Length < full.Length / 2);
        // Placeholders inside the instruction are text; blank lines collapse (the paper's clean-up).
        Assert.Contains("Fill in {options} and {count}:\n\"x\" = {1, 2}", full);
    }

    [Fact]
    public void AUserPromptFileNeedsItsPlaceholders()
    {
        var e = Assert.Throws<InvalidDataException>(() => CdtPrompts.Parse(
            """{"cognition": {"system": "s", "template": "{options} {instruction}"}, "domain": {"system": "s", "template": "{options}"}, "task": {"system": "s", "template": "{options} {instruction}"}}""",
            "p.json"));
        Assert.Contains("\"domain.template\" has no {instruction}", e.Message);
    }
}
