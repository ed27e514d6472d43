using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Selection.CDT;
using Engine.Methods.Teachers;
using Engine.Methods.Training;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>How the local tagger is trained: steps, batch, learning rate, seed, and the tiny model's shape when no base model is given.</summary>
public sealed record CdtTaggerRecipeOptions
{
    public int Steps { get; init; } = 400;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 3e-3;
    public ulong Seed { get; init; } = 1;
    /// <summary>A tiny model fresh from random weights (its tokenizer trained on the tagging conversations); the prompts must fit its positions.</summary>
    public TestbedExperiment.TinyModelSize Size { get; init; } = new(Vocab: 600, MaxPositions: 640);
    /// <summary>How the tagger is prompted, in training and afterwards (compact: option names without definitions, to fit a tiny context).</summary>
    public CdtPromptStyle Style { get; init; } = CdtPromptStyle.Compact;
}

/// <summary>
/// The local tagger end to end: CDT's tagging conversations for records with known tags, a base model (a given folder,
/// or a tiny one whose tokenizer is trained on those conversations), supervised fine-tuning, and its per-axis accuracy
/// on held-out records tagged through the ordinary teacher path (<c>local:DIR</c>, chat template, greedy). The
/// papers' taggers are 7B models we cannot download here; a user with one points <c>--teacher</c> at it instead.
/// </summary>
public static class CdtTaggerRecipe
{
    public sealed record Result(string ModelDir, CdtTaggerAccuracy Accuracy, TrainResult Training, int Conversations);

    public static Result Train(string outDir, IReadOnlyList<TaggedInstruction> train, IReadOnlyList<TaggedInstruction> heldOut, CdtTaggerRecipeOptions o,
        string? baseModel = null, CdtLabelSet? labels = null, CdtPrompts? prompts = null, Action<string>? log = null)
    {
        var tagOptions = Options(o.Style, "training", labels, prompts);
        var conversations = CdtTaggerTraining.Conversations(train, tagOptions);
        var baseDir = baseModel;
        if (baseDir is null)
        {
            baseDir = Path.Combine(outDir + ".base");
            var corpus = conversations.Select(c => string.Concat(c["messages"]!.AsArray().Select(m =>
                "<|im_start|>" + m!["role"]!.GetValue<string>() + "\n" + m["content"]!.GetValue<string>() + "<|im_end|>\n")));
            TestbedExperiment.MakeTinyModel(baseDir, corpus, o.Size, o.Seed, maxNewTokens: 48);
            log?.Invoke($"cdt tagger: tiny base model in {baseDir}");
        }
        var trainOptions = new TrainerOptions
        {
            LearningRate = o.LearningRate, Schedule = LrScheduleKind.Cosine, WarmupRatio = 0.05, BatchSize = o.BatchSize,
            Seed = o.Seed, MaxSteps = o.Steps, LogSteps = 100000,
        };
        var training = CdtTaggerTraining.Train(baseDir, conversations, outDir, trainOptions);
        log?.Invoke($"cdt tagger: trained {o.Steps} steps on {conversations.Count} conversations, final loss {training.FinalLoss:F4}");
        var accuracy = Evaluate(outDir, heldOut, o.Style, labels, prompts);
        log?.Invoke($"cdt tagger: held-out accuracy on {accuracy.N}: cognition {accuracy.Cognition:P1}, domain {accuracy.Domain:P1}, task {accuracy.Task:P1}, all three {accuracy.All:P1}");
        return new Result(outDir, accuracy, training, conversations.Count);
    }

    /// <summary>Per-axis accuracy of the tagger in <paramref name="modelDir"/> on records with known tags.</summary>
    public static CdtTaggerAccuracy Evaluate(string modelDir, IReadOnlyList<TaggedInstruction> heldOut, CdtPromptStyle style, CdtLabelSet? labels = null, CdtPrompts? prompts = null)
    {
        using var teacher = Teacher.Create(new TeacherSpec(TeacherKind.Local, modelDir));
        return CdtTaggerTraining.EvaluateAsync(teacher, heldOut, Options(style, modelDir, labels, prompts)).GetAwaiter().GetResult().Accuracy;
    }

    /// <summary>Tag instructions with the tagger in <paramref name="modelDir"/>.</summary>
    public static CdtTagResult[] Tag(string modelDir, IReadOnlyList<string> instructions, CdtPromptStyle style, Action<int>? done = null)
    {
        using var teacher = Teacher.Create(new TeacherSpec(TeacherKind.Local, modelDir));
        return new CdtTagger(teacher, Options(style, modelDir)).TagManyAsync(instructions, done).GetAwaiter().GetResult();
    }

    public static CdtTagOptions Options(CdtPromptStyle style, string identity, CdtLabelSet? labels = null, CdtPrompts? prompts = null) => new()
    {
        TeacherIdentity = identity, Style = style, MaxNewTokens = 48,
        Labels = labels ?? CdtLabelSet.Default, Prompts = prompts ?? CdtPrompts.Default,
    };

    /// <summary>Testbed records as tagged instructions (the prompt CDT sees, and the ground-truth tags).</summary>
    public static List<TaggedInstruction> FromTestbed(IEnumerable<TestbedRecord> records) =>
        records.Select(r => new TaggedInstruction(r.Prompt, new CapabilityTags(r.Tags.Cognition, r.Tags.Domain, r.Tags.Task))).ToList();
}
