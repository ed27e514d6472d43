namespace Engine.Methods.Evaluation.Testbed;

/// <summary>One way of presenting a family's task: a sentence put before the instruction, the CDT tags that presentation earns, and how often it is drawn.</summary>
public sealed record TestbedFraming(string Name, string Prefix, CdtTags Tags, double Weight);

/// <summary>
/// Framings give the CDT tags variety inside a family (<see cref="TestbedOptions.Framings"/>): the same problem asked as
/// a fill-in (task Completion), as a school exercise (domain Education), as a program trace (skills LA, AC), and so on.
/// The answer, the checker and the response never change; only the instruction's first sentence and the tags do.
/// Framing 0 is the family as it always was (its tags, no prefix) and is drawn most often, so a pool's capability
/// histogram stays skewed, as real instruction pools are. <c>multiple_choice</c> has no framings (its tags come from
/// the inner question).
/// </summary>
public static class TestbedFramings
{
    private static TestbedFraming F(string name, string prefix, string[] cognition, string domain, string task, double weight) =>
        new(name, prefix, new CdtTags(cognition, [domain], [task]), weight);

    private static readonly Dictionary<string, TestbedFraming[]> Alternatives = new(StringComparer.Ordinal)
    {
        ["arith"] = [F("fill_in", "Fill in the missing result. ", ["NM"], "Mathematics", "Completion", 0.25),
                     F("school", "Mental maths practice for school. ", ["NM", "RQ"], "Education", "Closed Book QA", 0.15)],
        ["word_problem"] = [F("shopping", "Shopping story. ", ["RQ", "NM"], "Economics", "Closed Book QA", 0.25),
                            F("count", "Read the story and complete the count. ", ["RD", "NM"], "Mathematics", "Completion", 0.15)],
        ["unit_convert"] = [F("engineering", "Engineering units check. ", ["NM"], "Engineering", "Closed Book QA", 0.25),
                            F("fill_in", "Complete the conversion. ", ["NM", "RQ"], "Physics", "Completion", 0.15)],
        ["date_calc"] = [F("records", "Calendar question about old records. ", ["NM", "RG"], "History", "Closed Book QA", 0.25),
                         F("fill_in", "Complete the date. ", ["NM"], "Mathematics", "Completion", 0.15)],
        ["sequence"] = [F("puzzle", "Pattern puzzle. ", ["PR"], "Logic", "Completion", 0.25),
                        F("predict", "Predict the next value. ", ["PR", "HP"], "Mathematics", "Closed Book QA", 0.15)],
        ["string_ops"] = [F("spelling", "Spelling game. ", ["FW"], "Linguistics", "Generation", 0.25),
                          F("program", "Text processing as a program would do it. ", ["LA", "FW"], "Computer Science", "Rewrite", 0.15)],
        ["list_ops"] = [F("program", "Act as a small program. ", ["LA", "AC"], "Coding", "Generation", 0.25),
                        F("summary", "Data summary. ", ["NM"], "Mathematics", "Closed Book QA", 0.15)],
        ["syllogism"] = [F("philosophy", "Philosophy class exercise. ", ["RG"], "Philosophy", "Natural Language Inference", 0.25),
                         F("classify", "Sort the claim into one of three classes. ", ["RG", "CA"], "Logic", "Classification", 0.15)],
        ["rule_classify"] = [F("machine", "Sorting machine rules. ", ["RG", "LA"], "Automation", "Classification", 0.25),
                             F("plain", "Apply the rules. ", ["RG"], "Logic", "Classification", 0.15)],
        ["kb_lookup"] = [F("geography", "Geography quiz from the table. ", ["RD"], "Earth Science", "Extractive QA", 0.25),
                         F("civics", "Civics facts. ", ["RD", "CA"], "Politics", "Extractive QA", 0.15)],
        ["passage_extract"] = [F("school", "Reading comprehension. ", ["RD"], "Education", "Extractive QA", 0.25),
                               F("biography", "Biography fact finding. ", ["RD", "CA"], "History", "Extractive QA", 0.15)],
        ["translate"] = [F("learning", "Language learning exercise. ", ["FE"], "Education", "Rewrite", 0.25),
                         F("phrasebook", "Travel phrasebook. ", ["FE", "RD"], "Multilingualism", "Generation", 0.15)],
        ["expr_eval"] = [F("trace", "Trace the program. ", ["LA"], "Coding", "Closed Book QA", 0.25),
                         F("algebra", "Maths with variables. ", ["RQ", "NM"], "Mathematics", "Completion", 0.15)],
    };

    /// <summary>A family's framings, the plain one (its own tags, weight 0.6 when it has alternatives) first.</summary>
    public static IReadOnlyList<TestbedFraming> Of(ITaskFamily family)
    {
        if (!Alternatives.TryGetValue(family.Name, out var alt)) return [new TestbedFraming("plain", "", family.Tags, 1.0)];
        return [new TestbedFraming("plain", "", family.Tags, 1.0 - alt.Sum(a => a.Weight)), .. alt];
    }

    /// <summary>Draw a framing and apply it: prefix the instruction, set the tags. Uses only <paramref name="rng"/>.</summary>
    public static TaskInstance Apply(ITaskFamily family, TaskInstance inst, TestbedRng rng)
    {
        var framings = Of(family);
        if (framings.Count == 1) return inst;
        double u = rng.NextDouble() * framings.Sum(f => f.Weight);
        var pick = framings[^1];
        foreach (var f in framings)
        {
            if (u < f.Weight) { pick = f; break; }
            u -= f.Weight;
        }
        return pick.Prefix.Length == 0 ? inst : inst with { Instruction = pick.Prefix + inst.Instruction, Tags = pick.Tags };
    }
}
