using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Speech.SelfPowered;

namespace Engine.Tests.Speech;

/// <summary>The spoken-testbed experiment's tiny version (what CI runs): every stage and arm runs and reports numbers; the testbed pool and the repeat twins.</summary>
public class SelfPoweredExperimentTests
{
    [Fact]
    public void TheTinyExperimentRunsEveryArm()
    {
        var work = SpeechFixtures.TempDir("lsm-exp");
        try
        {
            var r = SelfPoweredTestbedExperiment.Run(work, new SelfPoweredExperimentOptions { Tiny = true, Seed = 3 });
            foreach (var stage in new[] { "speech", "text LLM", "encoder pre-training", "targets", "asr", "self-powered", "text upper bound" })
                Assert.True(r.Seconds.ContainsKey(stage), $"stage '{stage}' did not run");
            foreach (var arm in new[] { r.Asr, r.SelfPowered })
            {
                Assert.Equal(8, arm.Tasks.N);                                   // every held-out item evaluated
                Assert.InRange(arm.Tasks.Accuracy, 0, 1);
                Assert.True(arm.Wer >= 0 && arm.WerLo <= arm.Wer && arm.Wer <= arm.WerHi, $"{arm.Arm}: WER {arm.Wer} [{arm.WerLo}, {arm.WerHi}]");
                Assert.True(arm.TrainExamples > 0);
            }
            Assert.Equal(8, r.Text.N);
            // (a) is transcription only; (b) draws from transcription, repeat and the task instructions, and the LLM wrote its non-transcription targets.
            var asr = File.ReadAllLines(Path.Combine(work, "targets-asr.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
            var sp = File.ReadAllLines(Path.Combine(work, "targets-self-powered.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
            Assert.Equal(24, asr.Length);
            Assert.All(asr, o => Assert.Equal(o["transcript"]!.GetValue<string>(), o["text"]!.GetValue<string>()));
            Assert.Equal(24, sp.Length);
            Assert.True(sp.Select(o => o["category"]!.GetValue<string>()).Distinct().Count() >= 3);
            Assert.Contains(sp, o => o["finish_reason"]!.GetValue<string>() is "eos" or "length");
            Assert.Equal(r.KeptTargets + r.DroppedTargets, sp.Length);
        }
        finally { if (Directory.Exists(work)) Directory.Delete(work, true); }
    }

    [Fact]
    public void TheTestbedPoolHasTranscriptionRepeatAndOneCategoryPerTaskInstruction()
    {
        var train = TestbedGenerator.Generate(new TestbedOptions { Tasks = TaskRegistry.Parse("list_ops"), N = 40, Seed = 2, Split = TestbedSplit.Train });
        var pool = SelfPoweredTestbedExperiment.TestbedPool(train);
        var instructions = train.Select(r => r.Instruction).Distinct().ToArray();
        Assert.Equal(2 + instructions.Length, pool.Categories.Count);
        Assert.Equal(InstructionPool.Default["asr"].Templates, pool["asr"].Templates);
        Assert.Equal(InstructionPool.Default["repeat"].Templates, pool["repeat"].Templates);
        Assert.Equal(instructions.Order(StringComparer.Ordinal), pool.Categories.Skip(2).Select(c => c.Templates.Single()));

        var withRepeats = SelfPoweredTestbedExperiment.WithRepeats(train);
        var repeats = withRepeats.Where(r => r.Id.EndsWith("-repeat", StringComparison.Ordinal)).ToArray();
        Assert.Equal(train.Count / 4, repeats.Length);
        Assert.All(repeats, r => Assert.Equal(r.Input, r.Output));
        Assert.All(repeats, r => Assert.Contains(r.Instruction, InstructionPool.Default["repeat"].Templates));
    }

    [Fact]
    public void AnEchoIsATranscriptWithoutAnAnswerLine()
    {
        Assert.True(SelfPoweredTestbedExperiment.IsEcho("3, 7, 1", "3, 7, 1"));
        Assert.True(SelfPoweredTestbedExperiment.IsEcho("3 7 1 9", "3, 7, 1"));             // one insertion in three words
        Assert.False(SelfPoweredTestbedExperiment.IsEcho("Answer: 7", "3, 7, 1"));          // an answer, even if short
        Assert.False(SelfPoweredTestbedExperiment.IsEcho("the largest is seven", "3, 7, 1"));
    }
}
