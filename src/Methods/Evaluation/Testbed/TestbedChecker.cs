namespace Engine.Methods.Evaluation.Testbed;

/// <summary>Outcome of checking one response: whether it is right, what was extracted and what was expected.</summary>
public sealed record CheckResult(bool Correct, string? Extracted, string Expected, string Reason);

/// <summary>
/// The exact checker: extracts the answer with <see cref="AnswerText.Extract"/> and compares it with the record's
/// canonical answer under the family's rule. This is what an evaluation harness calls on a model's response.
/// </summary>
public static class TestbedChecker
{
    public static CheckResult Check(TestbedRecord record, string modelAnswer) =>
        Check(record.Task, record.Answer ?? throw new ArgumentException(
            $"TestbedChecker: record {record.Id} has no answer (hidden fields were stripped); check against the key file instead."), modelAnswer);

    public static CheckResult Check(KeyEntry key, string modelAnswer) => Check(key.Task, key.Answer, modelAnswer);

    public static CheckResult Check(string task, string expected, string modelAnswer)
    {
        var family = TaskRegistry.Get(task);
        var extracted = AnswerText.Extract(modelAnswer);
        if (extracted is null) return new CheckResult(false, null, expected, $"no line starting with '{AnswerText.Prefix}'");
        bool ok = family.Matches(expected, extracted);
        return new CheckResult(ok, extracted, expected, ok ? "correct" : "answer differs");
    }
}
