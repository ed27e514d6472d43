namespace Engine.Methods.Selection.SelectIT;

/// <summary>
/// The rating prompts and the rating input. The wording is the project's own, keeping the structure of
/// the paper's prompt file (one instruction per line asking for a 1–K score); users may load their own file
/// (one prompt per line, blank lines ignored).
/// </summary>
public static class RatingPrompts
{
    public static readonly IReadOnlyList<string> Default =
    [
        "Give the assistant a score from 1 to 5 for how faithfully its response follows the instruction, and state the score on its own.",
        "Rate the assistant on a scale of one to five for how closely it keeps to the instruction and input, and give only the score.",
        "Judge how accurate the assistant's response is for the task and input, on a scale of 1 to 5 where 5 is the most accurate; write the score alone on one line.",
        "Assess whether the assistant answered the request correctly, scoring it between 1 and 5, with 5 meaning fully correct, and print just the score.",
        "Score the assistant from 1 to 5 for its adherence to the instructions and the correctness of its answer, with the score shown plainly.",
        "For the assistant, assign a score between 1 and 5 that reflects how precisely it follows the instructions and how accurate its answer is.",
        "Mark the assistant from one to five by how well it obeys the instruction and how correct its reply is, and make the score clearly visible.",
        "Award the assistant a score from 1 to 5 for compliance with the instruction and precision of the response, presented on its own line.",
        "Provide a 1 to 5 score for the assistant, weighing fidelity to the instruction and accuracy of the answer, and show the score clearly.",
    ];

    public static IReadOnlyList<string> Load(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
        if (lines.Length == 0) throw new InvalidDataException($"{path}: no rating prompts (one per line).");
        return lines;
    }

    /// <summary>
    /// The paper's rating input: prompt, a blank line, "Instruction:" + instruction, "Response:" + response,
    /// then "The answer is: " and a newline, after which the model's next token is read.
    /// </summary>
    public static string Build(string prompt, string instruction, string response) =>
        prompt + "\n\n" + "Instruction:" + instruction + "\n" + "Response:" + response + "\nThe answer is: \n";
}
