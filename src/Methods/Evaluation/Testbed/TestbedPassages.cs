using System.Text;
using System.Text.Json.Nodes;

namespace Engine.Methods.Evaluation.Testbed;

public enum PassageVerdict { Correct, Wrong, Unanswerable }

/// <summary>Outcome of checking a question and answer written about a passage: the verdict, the right answer when the question has one, and why.</summary>
public sealed record PassageCheck(PassageVerdict Verdict, string? Expected, string Reason)
{
    public bool Correct => Verdict == PassageVerdict.Correct;
}

/// <summary>
/// A family whose prompts are a passage and a question about it, so the testbed can hand out the passage alone as
/// unlabelled text and check any question and answer a synthesiser writes about it.
/// </summary>
public interface IPassageFamily : ITaskFamily
{
    /// <summary>The passage and the question of a prompt's input.</summary>
    (string Passage, string Question) Split(string input);

    /// <summary>Whether <paramref name="answer"/> is the right answer to <paramref name="question"/> about <paramref name="passage"/> (unanswerable: a question the passage does not settle, or of a form the family does not ask).</summary>
    PassageCheck Check(string passage, string question, string answer);
}

/// <summary>A raw passage of a passage family, with the question, reasoning and answer the testbed's own record asks about it (the hidden key).</summary>
public sealed record TestbedPassage(string Id, string Task, string Domain, int Difficulty, string Text, string Question, string Logic, string Answer);

/// <summary>
/// Raw unlabelled passages for AQuilt-style synthesis: records of a passage family generated as usual (train or test
/// split by prompt, deterministic in the seed), cut into the passage (what a synthesiser gets) and the question and
/// answer the testbed would have asked (a gold record for the same passage, kept apart in a key file).
/// </summary>
public static class TestbedPassages
{
    public static IPassageFamily Family(string name) =>
        TaskRegistry.Get(name) as IPassageFamily
        ?? throw new ArgumentException($"Testbed task '{name}' has no raw passages. Passage families: {string.Join(", ", TaskRegistry.PassageFamilies.Select(f => f.Name))}.");

    public static List<TestbedPassage> Generate(IPassageFamily family, int n, ulong seed, TestbedSplit split = TestbedSplit.Train, int minDifficulty = 1, int maxDifficulty = 1)
    {
        var records = TestbedGenerator.Generate(new TestbedOptions
        {
            Tasks = [family], N = n, Seed = seed, Split = split, MinDifficulty = minDifficulty, MaxDifficulty = maxDifficulty, Cot = true,
        });
        return records.Select(r =>
        {
            var (passage, question) = family.Split(r.Input);
            var meta = r.Meta!;
            var inst = TaskRegistry.Get(r.Task).Generate(new TestbedRng(meta.Seed), r.Difficulty);
            return new TestbedPassage(r.Id, r.Task, r.Domain, r.Difficulty, passage, question, string.Join("\n", inst.Steps), r.Answer!);
        }).ToList();
    }

    /// <summary>The passages as JSONL (<c>id</c>, <c>text</c>, <c>task</c>, <c>domain</c>) and, when given, the key (<c>id</c>, <c>question</c>, <c>thinking_steps</c>, <c>answer</c>).</summary>
    public static void Write(IReadOnlyList<TestbedPassage> passages, string path, string? keyPath = null)
    {
        static void Lines(string p, IEnumerable<JsonObject> lines)
        {
            if (Path.GetDirectoryName(Path.GetFullPath(p)) is { } d) Directory.CreateDirectory(d);
            using var w = new StreamWriter(p, false, new UTF8Encoding(false));
            foreach (var l in lines) { w.Write(l.ToJsonString()); w.Write('\n'); }
        }
        Lines(path, passages.Select(p => new JsonObject { ["id"] = p.Id, ["text"] = p.Text, ["task"] = p.Task, ["domain"] = p.Domain }));
        if (keyPath is not null)
            Lines(keyPath, passages.Select(p => new JsonObject { ["id"] = p.Id, ["question"] = p.Question, ["thinking_steps"] = p.Logic, ["answer"] = p.Answer }));
    }
}
