using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Evaluation.Testbed.Families;
using Engine.Methods.Synthesis.AQuilt;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>One synthetic sample checked against its passage by the testbed.</summary>
public sealed record CheckedSample(string Question, string Answer, int? Score, PassageCheck Check);

/// <summary>
/// The testbed as AQuilt's teacher and judge: the mapping from testbed families to AQuilt task types, build records
/// (the labelled (passage, task type, question, logic, answer, inspection score) samples the synthesiser learns from,
/// made by the testbed's own generator instead of a strong LLM), gold SFT data in the same format as filtered
/// synthetic data, and the check of synthetic samples against their passages.
/// </summary>
public static class AQuiltTestbed
{
    /// <summary>
    /// The AQuilt task type of a testbed family, by its CDT task tag: Extractive QA → extractive question answering,
    /// Natural Language Inference → natural language inference, Classification → text classification, Closed Book QA →
    /// close question answering, Multiple Choice QA → single choice question answering, Rewrite / Generation /
    /// Completion → text generation.
    /// </summary>
    public static AQuiltTask TaskTypeOf(ITaskFamily family) => AQuiltTaskTypes.Parse(family.Tags.Task[0] switch
    {
        "Extractive QA" => "extractive question answering",
        "Natural Language Inference" => "natural language inference",
        "Classification" => "text classification",
        "Closed Book QA" => "close question answering",
        "Multiple Choice QA" => "single choice question answering",
        "Rewrite" or "Generation" or "Completion" => "text generation",
        var other => throw new ArgumentException($"No AQuilt task type for testbed task tag '{other}'."),
    });

    /// <summary>The SFT instruction for a passage family: exactly the testbed's own prompt, so students train on what they are evaluated on.</summary>
    public static string InstructionTemplate(IPassageFamily family) => family is FactsFamily ? FactsFamily.Instruction + "\n{context}\n{question}"
        : throw new ArgumentException($"No instruction template for '{family.Name}'.");

    /// <summary>The inspection levels the testbed writes, with the analysis the inspector learns to give for each.</summary>
    public static readonly IReadOnlyDictionary<int, string> LevelAnalysis = new Dictionary<int, string>
    {
        [5] = "The question asks for a fact the text states; the thinking steps quote that fact and the answer matches it.",
        [4] = "The question and the answer are right, but the thinking steps do not show where in the text the answer comes from.",
        [3] = "The answer is right, but the thinking steps quote a different fact of the text.",
        [2] = "The thinking steps quote the text, but the answer does not match the quoted fact.",
        [1] = "The answer is not supported by the text.",
    };

    /// <summary>
    /// Build records from labelled testbed instances of fact families: every instance gives its clean sample
    /// (score 5), and a damaged copy at level 4, 3, 2, 1 in turn (generic reasoning; reasoning that quotes another fact;
    /// a wrong answer from the passage; an answer the passage does not support), so the five levels are balanced.
    /// </summary>
    public static List<JsonObject> BuildRecords(IReadOnlyList<FactsFamily> families, int perFamily, ulong seed)
    {
        var lines = new List<JsonObject>();
        foreach (var family in families)
        {
            var task = TaskTypeOf(family);
            var passages = TestbedPassages.Generate(family, perFamily, TestbedRng.Derive(seed, "aquilt-build-" + family.Name));
            for (int i = 0; i < passages.Count; i++)
            {
                var p = passages[i];
                var clean = new QaPair(p.Question, p.Logic, p.Answer);
                lines.Add(Record(p, task, clean, 5));
                int level = 4 - i % 4;
                var rng = new TestbedRng(TestbedRng.Derive(seed, "aquilt-damage", StableHash.Of(p.Id)));
                lines.Add(Record(p, task, Damage(family, p, clean, level, rng), level));
            }
        }
        return lines;
    }

    private static JsonObject Record(TestbedPassage p, AQuiltTask task, QaPair qa, int level) => new()
    {
        ["id"] = $"{p.Id}-l{level}", ["text"] = p.Text, ["task_type"] = task.Name, ["qa_pair"] = qa.ToJson(),
        ["analysis_steps"] = LevelAnalysis[level], ["score"] = level, ["task"] = p.Task,
    };

    private static QaPair Damage(FactsFamily family, TestbedPassage p, QaPair clean, int level, TestbedRng rng)
    {
        var otherFacts = p.Text.Split(". ", StringSplitOptions.RemoveEmptyEntries).Select(s => s.TrimEnd('.') + ".")
            .Where(s => !clean.ThinkingSteps.EndsWith(s, StringComparison.Ordinal)).ToList();
        switch (level)
        {
            case 4: return clean with { ThinkingSteps = "The answer is in the text." };
            case 3: return clean with { ThinkingSteps = "The passage says: " + rng.Pick(otherFacts) };
            case 2:
            {
                // Another value of the passage that the checker rejects.
                var values = otherFacts.Select(s => s[(s.LastIndexOf(" is ", StringComparison.Ordinal) + 4)..].TrimEnd('.'))
                    .Where(v => !family.Check(p.Text, p.Question, v).Correct).ToList();
                return clean with { Answer = rng.Pick(values) };
            }
            default:
            {
                // A value from nowhere: a name the passage never mentions.
                string fab;
                do fab = rng.Pick(FactVocabulary.Names.Concat(FactVocabulary.Towns).ToList());
                while (p.Text.Contains(fab, StringComparison.Ordinal));
                return clean with { Answer = fab };
            }
        }
    }

    /// <summary>Gold SFT records for passages (the testbed's own question, logic and answer), in the format filtering gives synthetic samples.</summary>
    public static List<JsonObject> GoldSft(IPassageFamily family, IEnumerable<TestbedPassage> passages, AQuiltFilterOptions format)
    {
        var task = TaskTypeOf(family);
        return passages.Select(p => new JsonObject
        {
            ["id"] = p.Id,
            ["instruction"] = format.Prompts.Instruction(task, p.Text, p.Question, format.InstructionTemplate),
            ["output"] = AQuiltPrompts.Fill(format.OutputTemplate, ("thinking_steps", p.Logic), ("answer", p.Answer)),
        }).ToList();
    }

    /// <summary>Checks every sample that has a pair against its passage (the family's exact checker).</summary>
    public static List<CheckedSample> Check(IPassageFamily family, IEnumerable<JsonObject> samples) =>
        samples.Where(s => s["qa_pair"] is JsonObject).Select(s =>
        {
            var qa = s["qa_pair"]!.AsObject();
            string q = qa["question"]!.GetValue<string>(), a = qa["answer"]!.GetValue<string>();
            int? score = s["score"] is { } n && AQuiltJson.TryScore(n, out var v) ? v : null;
            return new CheckedSample(q, a, score, family.Check(s["text"]!.GetValue<string>(), q, a));
        }).ToList();
}
