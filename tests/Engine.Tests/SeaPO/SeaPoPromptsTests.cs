using Engine.Methods.Synthesis.SeaPO;

namespace Engine.Tests.SeaPO;

public class SeaPoPromptsTests
{
    [Fact]
    public void EveryTypeHasItsOwnBuiltInPrompt()
    {
        var p = SeaPoPrompts.Default;
        var built = SeaPoErrorTypes.All.Select(t => p.Build(t, "Calculate.\n12 + 46", "12 + 40 = 52\nAnswer: 58")).ToArray();
        Assert.Equal(3, built.Distinct().Count());
        for (int i = 0; i < 3; i++)
        {
            Assert.Contains("Calculate.\n12 + 46", built[i]);
            Assert.Contains("12 + 40 = 52\nAnswer: 58", built[i]);
            Assert.Contains("Error type: " + SeaPoErrorTypes.All[i].Name(), built[i]);
            Assert.DoesNotContain("{", built[i]);
        }
    }

    [Fact]
    public void PlaceholdersAreFilledOnceSoTextThatLooksLikeOneStays()
    {
        var p = new SeaPoPrompts(SeaPoErrorTypes.All.ToDictionary(t => t, _ => "[{error_type}] {question} => {response} ({error_description}) {unknown}"));
        var s = p.Build(SeaPoErrorType.Logic, "what is {response}?", "it is {question}");
        Assert.Equal("[logic] what is {response}? => it is {question} (" + SeaPoPrompts.Descriptions[SeaPoErrorType.Logic] + ") {unknown}", s);
    }

    [Fact]
    public void UserTemplatesLoadFromAFileOrAFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "engine-seapo-prompts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var file = Path.Combine(dir, "all.txt");
            File.WriteAllText(file, "Break it ({error_type}):\r\n{question}\n{response}\n");
            var one = SeaPoPrompts.Load(file);
            Assert.Equal("Break it (hallucination):\nQ\nR\n", one.Build(SeaPoErrorType.Hallucination, "Q", "R"));

            var folder = Path.Combine(dir, "types");
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "logic.txt"), "L {question} {response}");
            var some = SeaPoPrompts.Load(folder);
            Assert.Equal("L Q R", some.Build(SeaPoErrorType.Logic, "Q", "R"));
            Assert.Equal(SeaPoPrompts.Default.Build(SeaPoErrorType.Correctness, "Q", "R"), some.Build(SeaPoErrorType.Correctness, "Q", "R"));

            File.WriteAllText(file, "no placeholders for the response: {question}");
            var e = Assert.Throws<ArgumentException>(() => SeaPoPrompts.Load(file));
            Assert.Contains("{response}", e.Message);
            Assert.Throws<FileNotFoundException>(() => SeaPoPrompts.Load(Path.Combine(dir, "missing.txt")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void TypesParseAndTargetedModeTakesOneType()
    {
        Assert.Equal([SeaPoErrorType.Logic, SeaPoErrorType.Correctness], SeaPoErrorTypes.ParseList(" logic, Correctness,logic"));
        Assert.Throws<ArgumentException>(() => SeaPoErrorTypes.ParseList("logic,typo"));
        var e = Assert.Throws<ArgumentException>(() => new SeaPoOptions { Mode = SeaPoMode.Targeted }.Validate());
        Assert.Contains("targeted", e.Message);
        new SeaPoOptions { Mode = SeaPoMode.Targeted, Types = [SeaPoErrorType.Logic] }.Validate();
        Assert.Throws<ArgumentException>(() => new SeaPoOptions { MinLengthRatio = 2, MaxLengthRatio = 1 }.Validate());
    }
}
