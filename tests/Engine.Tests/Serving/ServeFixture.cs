using System.ClientModel;
using System.ClientModel.Primitives;
using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Engine.Cli.Commands;
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Models;
using OpenAI;
using OpenAI.Chat;

namespace Engine.Tests.Serving;

/// <summary>
/// A tiny chat model (BPE tokenizer with the ChatML template, random Qwen2 weights) and `engine serve` on it, started
/// through the verb itself on a free loopback port and stopped through its cancellation token.
/// </summary>
public sealed class ServeFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "engine-serve-" + Guid.NewGuid().ToString("N"));
    public string ModelDir { get; private set; } = "";
    public ModelBundle Bundle { get; private set; } = null!;
    public RunningServer Server { get; private set; } = null!;
    public string Name => "tiny";

    public async Task InitializeAsync()
    {
        var records = TestbedGenerator.Generate(new TestbedOptions { N = 200, Seed = 9 });
        ModelDir = TestbedExperiment.MakeTinyModel(Path.Combine(Root, "m"), TestbedExperiment.ChatText(records),
            new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 2, Intermediate: 64, Vocab: 300), seed: 2);
        Bundle = ModelBundle.Load(ModelDir);
        Server = await RunningServer.StartAsync(ModelDir, "--served-model-name", Name);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        if (Directory.Exists(Root)) Directory.Delete(Root, true);
    }

    /// <summary>The prompt ids the server makes of one user message (the model's chat template, no second BOS).</summary>
    public int[] ChatPromptIds(string user) =>
        Bundle.Tokenizer.Encode(Bundle.Tokenizer.ApplyChatTemplate([new Engine.Models.Chat.ChatMessage("user", user)], addGenerationPrompt: true), addSpecialTokens: false);

    /// <summary>The official OpenAI client on a server, retries off so status codes reach the test.</summary>
    public static ChatClient Client(Uri baseUrl, string model, string key = "test") =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(baseUrl, "v1"), RetryPolicy = new ClientRetryPolicy(0), NetworkTimeout = TimeSpan.FromMinutes(2) });

    /// <summary>A raw request through the official client's protocol method (fields the typed options lack: n, vLLM extras).</summary>
    public static async Task<JsonNode> Raw(ChatClient client, string json)
    {
        var result = await client.CompleteChatAsync(BinaryContent.Create(BinaryData.FromString(json)), new RequestOptions());
        return JsonNode.Parse(result.GetRawResponse().Content.ToString())!;
    }
}

/// <summary>`engine serve ARGS` running in this process until disposed.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task<int> _run = Task.FromResult(0);

    public Uri BaseUrl { get; private set; } = null!;
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(2) };

    public static async Task<RunningServer> StartAsync(string modelDir, params string[] extra)
    {
        var s = new RunningServer();
        int port = FreePort();
        s.BaseUrl = new Uri($"http://127.0.0.1:{port}/");
        string[] args = ["--model", modelDir, "--port", port.ToString(), "--log-interval", "0", .. extra];
        s._run = ServeCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, s._stop.Token);
        for (int i = 0; i < 600; i++)
        {
            if (s._run.IsCompleted) await s._run; // surfaces a start-up failure
            try { if ((await s.Http.GetAsync(new Uri(s.BaseUrl, "health"))).IsSuccessStatusCode) return s; }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("engine serve did not answer /health within 60 s.");
    }

    public async Task<JsonNode> Health() => JsonNode.Parse(await Http.GetStringAsync(new Uri(BaseUrl, "health")))!;

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        Assert.Equal(0, await _run);
        Http.Dispose();
    }
}
