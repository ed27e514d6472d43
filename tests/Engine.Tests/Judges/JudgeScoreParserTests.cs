using Engine.Methods.Teachers.Judges;

namespace Engine.Tests.Judges;

/// <summary>The score is read only from the end of a grader's reply, whatever decoration surrounds it.</summary>
public class JudgeScoreParserTests
{
    [Theory]
    [InlineData("The response solves the task and matches the reference. [RESULT] 4", 4)]
    [InlineData("Good reasoning.\n[RESULT] 4\n\n", 4)]
    [InlineData("Mostly right. [RESULT] (4)", 4)]
    [InlineData("Accurate and complete. [RESULT]: 5.", 5)]
    [InlineData("Feedback: wrong total. **[RESULT]** **2**", 2)]
    [InlineData("The answer is off by one.\nScore: 2/5", 2)]
    [InlineData("I would give this response a score of 3 out of 5.", 3)]
    [InlineData("Correct. [RESULT] 5</s>", 5)]
    [InlineData("Correct. [RESULT] 5<|im_end|>", 5)]
    [InlineData("Partly right. [SCORE] [3]", 3)]
    [InlineData("result: 1", 1)]
    // A rubric line echoed in the feedback, then the real score at the end.
    [InlineData("Score 5: accurate and complete does not apply, the total is wrong. [RESULT] 2", 2)]
    // Two results: the last one is the grader's final word.
    [InlineData("[RESULT] 3\nOn reflection the reasoning is sound. [RESULT] 5", 5)]
    public void ReadsTheScoreAtTheEnd(string reply, int expected) => Assert.Equal(expected, JudgeScoreParser.Parse(reply));

    [Theory]
    // The prompt's format line echoed back: an unanchored search would read a score out of "1 to 5".
    [InlineData("(write a feedback for criteria) [RESULT] (an integer from 1 to 5)")]
    // Rubric text only, no verdict.
    [InlineData("Score 5: The response is accurate and well founded.\nScore 1: The response is wrong.")]
    // A score that is not the last thing in the reply.
    [InlineData("[RESULT] 4 and that is my final answer")]
    // Outside the scale.
    [InlineData("[RESULT] 7")]
    [InlineData("[RESULT] 0")]
    [InlineData("[RESULT] 10")]
    // No marker at all.
    [InlineData("4")]
    [InlineData("The response deserves a four.")]
    [InlineData("")]
    [InlineData("   \n")]
    public void GivesNoScoreWhenTheEndHasNone(string reply) => Assert.Null(JudgeScoreParser.Parse(reply));

    [Fact]
    public void NullIsNoScore() => Assert.Null(JudgeScoreParser.Parse(null));
}
