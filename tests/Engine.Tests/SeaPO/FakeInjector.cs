using Engine.Methods.Core.Jobs;
using Engine.Methods.Synthesis.SeaPO;

namespace Engine.Tests.SeaPO;

/// <summary>
/// An injector whose output is a pure function of the prompt (so resumed and whole runs must agree): it reads the
/// response and the error type back out of the built-in prompt and edits the response the way each type asks. A
/// response containing "KEEP" comes back unchanged and one containing "META" with a remark about the edit (failed
/// injections the guards must refuse). After
/// <see cref="FailAfter"/> prompts it throws, standing in for a killed process.
/// </summary>
sealed class FakeInjector : IErrorInjector
{
    public int Calls;
    public int? FailAfter;
    public int? Context => null;
    public void Describe(JobFingerprint f) => f.Add("injector", "fake");
    public int? PromptTokens(string userPrompt) => null;

    public IReadOnlyList<string> Complete(IReadOnlyList<string> userPrompts, Action<int, long> advance)
    {
        var outs = new List<string>();
        foreach (var p in userPrompts)
        {
            if (FailAfter is { } f && Calls >= f) throw new IOException("killed");
            Calls++;
            var type = p.Split('\n').First(l => l.StartsWith("Error type: ", StringComparison.Ordinal))["Error type: ".Length..];
            var start = p.IndexOf("Correct response:\n", StringComparison.Ordinal) + "Correct response:\n".Length;
            var response = p[start..p.IndexOf("\n\nRules:", StringComparison.Ordinal)];
            outs.Add(response.Contains("KEEP", StringComparison.Ordinal) ? response
                : response.Contains("META", StringComparison.Ordinal) ? "Note: " + response
                : type switch
                {
                    "correctness" => "### Revised Response:\n" + response.Replace("Answer: ", "Answer: 1", StringComparison.Ordinal),
                    "logic" => response.Replace(" = ", " = 9", StringComparison.Ordinal),
                    _ => "Also 99.\n" + response,
                });
            advance(1, 1);
        }
        return outs;
    }
}
