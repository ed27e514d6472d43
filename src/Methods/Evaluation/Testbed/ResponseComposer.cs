namespace Engine.Methods.Evaluation.Testbed;

/// <summary>Response length knob: short = answer line (after any reasoning); medium adds a restatement first;
/// long also adds a closing "So the answer is X." line.</summary>
public enum ResponseLength { Short, Medium, Long }

/// <summary>Builds a response: [restatement] [reasoning steps] [claim] [closing] "Answer: X" (always last).</summary>
public static class ResponseComposer
{
    public static string Compose(TaskInstance inst, IReadOnlyList<string> steps, string answer, string? claim, bool cot, ResponseLength length)
    {
        var lines = new List<string>();
        if (length >= ResponseLength.Medium) lines.Add(inst.Restatement);
        if (cot) lines.AddRange(steps);
        // A fabricated claim is voiced only where the response has room for prose; the answer itself changes regardless.
        if (claim is not null && (cot || length >= ResponseLength.Medium)) lines.Add(claim);
        if (length == ResponseLength.Long) lines.Add($"So the answer is {answer}.");
        lines.Add(AnswerText.Line(answer));
        return string.Join('\n', lines);
    }
}
