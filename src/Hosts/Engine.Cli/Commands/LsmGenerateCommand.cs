using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Speech.SelfPowered;

namespace Engine.Cli.Commands;

/// <summary>`engine lsm generate`: answer a text instruction about a WAV clip with a trained speech LLM.</summary>
public static class LsmGenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The folder lsm train wrote (lsm.json, connector/, adapter).", Required = true };
        var audio = new Option<string>("--audio") { Description = "The clip: a WAV file (PCM 8/16/24/32-bit or float, any rate and channel count; resampled to 16 kHz mono).", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The text instruction that goes with the speech, e.g. \"Provide the English transcription according to the speech\" or a question about it.", Required = true };
        var llm = new Option<string?>("--llm") { Description = "Use this copy of the LLM folder instead of the one lsm.json names." };
        var encoder = new Option<string?>("--encoder") { Description = "Use this copy of the Whisper folder instead of the one lsm.json names." };
        var sampling = new SamplingCliOptions();
        sampling.MaxNewTokens.Description = "Most tokens to generate (default: 128, the method's evaluation setting).";
        sampling.Temperature.Description = "Sampling temperature (default 0: greedy, as the method evaluates).";
        var device = CliOptions.Device();
        var cmd = new Command("generate", "Answer an instruction about a clip: the clip's speech tokens are spliced into the trained prompt format in place of a transcript, the LLM's prompt is "
            + "prefilled from embeddings and the answer decoded (greedy by default). Prints the answer.") { model, audio, prompt, llm, encoder, device };
        foreach (var o in sampling.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var m = SelfPoweredModel.Load(r.GetValue(model)!, CliOptions.ParseDevice(r.GetValue(device)!), r.GetValue(llm), r.GetValue(encoder));
            var o = sampling.Apply(r, m.Greedy());
            var clip = r.GetValue(audio)!;
            if (!File.Exists(clip)) throw new FileNotFoundException($"--audio {clip} does not exist.");
            var result = m.Generate([new SpokenPrompt(clip, r.GetValue(prompt)!)], o)[0];
            r.InvocationConfiguration.Output.WriteLine(result.Text);
            return 0;
        });
        return cmd;
    }
}
