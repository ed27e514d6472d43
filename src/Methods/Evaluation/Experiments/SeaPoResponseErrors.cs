using System.Text.RegularExpressions;
using Engine.Methods.Evaluation.Testbed;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>The three error kinds SeaPO targets, as the testbed can see them in one response.</summary>
public readonly record struct ResponseErrors(bool WrongAnswer, bool BrokenStep, bool FabricatedClaim)
{
    public bool Any => WrongAnswer || BrokenStep || FabricatedClaim;
}

/// <summary>
/// Tells apart, with nothing but the response and the record's answer, the three error kinds in families whose
/// every reasoning step is one equation (<c>arith</c>, <c>unit_convert</c>, <c>word_problem</c>'s numeric steps):
/// a wrong final answer (the exact checker: SeaPO's "correctness"), a reasoning line that is an equation whose
/// arithmetic is false (<see cref="ReasoningVerifier.ArithmeticErrors"/>: "logic"), and a line that is neither an
/// equation step nor the answer line, i.e. an unsupported claim such as "A shortcut rule says 12 + 46 = 97."
/// ("hallucination"). Claim lines are not checked as steps, so a fabricated equation inside a claim counts once, as
/// a claim.
/// </summary>
public static partial class SeaPoResponseClassifier
{
    [GeneratedRegex(@"^\s*(-?\d+ [-+*/%] -?\d+|(max|min)\(-?\d+, -?\d+\)) = -?\d+\s*$")] private static partial Regex StepLine();

    public static ResponseErrors Classify(string task, string expectedAnswer, string response)
    {
        bool wrong = !TestbedChecker.Check(task, expectedAnswer, response).Correct;
        var lines = response.Split('\n').Where(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith(AnswerText.Prefix, StringComparison.Ordinal)).ToArray();
        var steps = lines.Where(l => StepLine().IsMatch(l)).ToArray();
        bool broken = ReasoningVerifier.ArithmeticErrors(string.Join('\n', steps)).Count > 0;
        bool claim = lines.Length > steps.Length;
        return new ResponseErrors(wrong, broken, claim);
    }
}
