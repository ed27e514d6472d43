using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Models.Chat;
using Engine.Models.Generation;

namespace Engine.Cli.Commands;

/// <summary>`engine chat`: an interactive conversation on the terminal, streamed token by token.</summary>
public static class ChatCommand
{
    public static Command Create()
    {
        var model = CliOptions.Model();
        var adapter = CliOptions.Adapter();
        var device = CliOptions.Device();
        var dtype = CliOptions.DType();
        var system = new Option<string?>("--system") { Description = "System message that starts the conversation." };
        var sampling = new SamplingCliOptions();
        var cmd = new Command("chat", "Chat with a model interactively (empty line or /exit quits, /reset clears the history).") { model, adapter, device, dtype, system };
        foreach (var o in sampling.All) cmd.Options.Add(o);
        cmd.SetAction(r =>
        {
            var bundle = RecordJobCliOptions.LoadModel(r.GetValue(model), r.GetValue(device)!, r.GetValue(dtype)!, r.GetValue(adapter)).Bundle;
            var opts = sampling.Apply(r, bundle.DefaultSampling);
            var gen = new TextGenerator(bundle.Model, bundle.Tokenizer);
            var history = new List<ChatMessage>();
            if (r.GetValue(system) is { } s) history.Add(new ChatMessage("system", s));
            int turn = 0;
            var with = r.GetValue(adapter) is { } a ? $" + adapter {a}" : "";
            Console.Error.WriteLine($"chatting with {bundle.Directory}{with} ({bundle.Model.ParameterCount:N0} parameters); /exit to quit, /reset to clear.");
            while (true)
            {
                Console.Write("> ");
                var line = Console.ReadLine();
                if (line is null || line.Trim() is "" or "/exit") break;
                if (line.Trim() == "/reset") { history.RemoveAll(m => m.Role != "system"); continue; }
                history.Add(new ChatMessage("user", line));
                var ids = ChatPrompt.Encode(bundle, history);
                var result = gen.Generate([ids], opts with { Seed = opts.Seed + (ulong)turn++ }, (_, delta) => Console.Write(delta))[0];
                Console.WriteLine();
                history.Add(new ChatMessage("assistant", result.Text));
            }
            return 0;
        });
        return cmd;
    }
}
