using System.CommandLine;
using System.Globalization;
using Engine.Methods.Evaluation.Experiments;

namespace Engine.Cli.Commands;

/// <summary>`engine lsm experiment`: Self-Powered LSM on the spoken testbed against plain ASR training and the text upper bound.</summary>
public static class LsmExperimentCommand
{
    public static Command Create()
    {
        var work = new Option<string>("--work") { Description = "Working folder (speech, models, targets, outputs); existing speech files are reused.", Required = true };
        var tasks = new Option<string>("--tasks") { Description = "Testbed families whose inputs are spoken (short, speakable inputs work best).", DefaultValueFactory = _ => "list_ops" };
        var trainN = new Option<int>("--train-n") { Description = "Spoken training items (encoder pre-training and both connectors).", DefaultValueFactory = _ => 800 };
        var testN = new Option<int>("--test-n") { Description = "Held-out spoken items.", DefaultValueFactory = _ => 200 };
        var textSteps = new Option<int>("--text-steps") { Description = "SFT steps of the text LLM.", DefaultValueFactory = _ => 400 };
        var asrSteps = new Option<int>("--asr-steps") { Description = "Steps of the stand-in encoder's ASR pre-training.", DefaultValueFactory = _ => 600 };
        var connectorSteps = new Option<int>("--connector-steps") { Description = "Steps of each arm's connector (same for both).", DefaultValueFactory = _ => 400 };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated seeds; each runs the whole pipeline in <work>/seed-<s>.", DefaultValueFactory = _ => "1" };
        var tiny = new Option<bool>("--tiny") { Description = "A seconds-long smoke version (a handful of items and steps): checks the pipeline, measures nothing." };
        var md = new Option<string?>("--markdown") { Description = "Append the result table to this markdown file, one row as each seed finishes." };
        var cmd = new Command("experiment", "Spoken testbed: a tiny text LLM, a tiny Whisper-shaped encoder pre-trained for ASR then frozen, and two connectors with the same budget — "
            + "(a) trained on transcripts, (b) on self-powered targets — evaluated on held-out spoken tasks (accuracy, CIs), on transcription (WER), against (c) the text LLM on gold transcripts.")
        { work, tasks, trainN, testN, textSteps, asrSteps, connectorSteps, seeds, tiny, md };
        cmd.SetAction(r =>
        {
            var header = "| seed | (a) ASR targets: task acc. | (b) self-powered: task acc. | (c) text LLM, gold transcript | WER (a) | WER (b) | transcribes instead (a / b) | pre-trained ASR WER | LLM's target accuracy |\n|---|---|---|---|---|---|---|---|---|\n";
            var rows = new List<string>();
            foreach (var s in r.GetValue(seeds)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(x => ulong.Parse(x, CultureInfo.InvariantCulture)))
            {
                var o = new SelfPoweredExperimentOptions
                {
                    Tasks = r.GetValue(tasks)!, TrainN = r.GetValue(trainN), TestN = r.GetValue(testN), TextSteps = r.GetValue(textSteps), AsrSteps = r.GetValue(asrSteps),
                    ConnectorSteps = r.GetValue(connectorSteps), Seed = s, Tiny = r.GetValue(tiny),
                };
                var res = SelfPoweredTestbedExperiment.Run(Path.Combine(r.GetValue(work)!, $"seed-{s}"), o, m => Console.Error.WriteLine($"[seed {s}] {m}"));
                static string Acc(Engine.Methods.Evaluation.Testbed.EvalReport e) => string.Create(CultureInfo.InvariantCulture, $"{e.Accuracy:P1} [{e.Lo:P1}, {e.Hi:P1}]");
                static string Wer(SpokenArmResult a) => string.Create(CultureInfo.InvariantCulture, $"{a.Wer:P1} [{a.WerLo:P1}, {a.WerHi:P1}]");
                rows.Add(string.Create(CultureInfo.InvariantCulture,
                    $"| {s} | {Acc(res.Asr.Tasks)} | {Acc(res.SelfPowered.Tasks)} | {Acc(res.Text)} | {Wer(res.Asr)} | {Wer(res.SelfPowered)} | {res.Asr.EchoRate:P1} / {res.SelfPowered.EchoRate:P1} | {res.PretrainWer:P1} | {res.TargetAccuracy:P1} |"));
                Console.WriteLine(header + string.Join("\n", rows) + "\n");
                // Each seed's row is written as soon as it exists, so a long run that is stopped keeps what it measured.
                if (r.GetValue(md) is { } path) File.AppendAllText(path, (rows.Count == 1 ? header : "") + rows[^1] + "\n");
            }
            return 0;
        });
        return cmd;
    }
}
