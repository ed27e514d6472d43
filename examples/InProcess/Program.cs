// Engine in your own process, from the NuGet packages: load a model, score a text, generate, ask a teacher.
//   dotnet run -- [MODEL_DIR]     (a Hugging Face folder; a missing folder gets a tiny random model made in it)
using Engine.Methods.Evaluation.Experiments;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Teachers;
using Engine.Models;
using Engine.Models.Generation;
using Engine.Models.Scoring;

var dir = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "engine-sample-model");
if (!File.Exists(Path.Combine(dir, "config.json")))
{
    // A tokenizer trained on testbed text and random Qwen2-shaped weights: enough to exercise every call below.
    var records = TestbedGenerator.Generate(new TestbedOptions { N = 200, Seed = 1 });
    TestbedExperiment.MakeTinyModel(dir, TestbedExperiment.ChatText(records), new TestbedExperiment.TinyModelSize(Hidden: 32, Layers: 2, Intermediate: 64, Vocab: 300), seed: 1);
    Console.WriteLine($"made a tiny model in {dir}");
}

var bundle = ModelBundle.Load(dir);
Console.WriteLine($"loaded {bundle.Model.Config.ModelType} with {bundle.Model.ParameterCount:N0} parameters");

var ids = bundle.Tokenizer.Encode("Calculate. 12 + 46 = 58", addSpecialTokens: true);
var scored = new Scorer(bundle.Model).Score([ids])[0];
Console.WriteLine($"score: {scored.TokenLogProbs.Length} tokens, log-prob sum {scored.LogProbSum:F4}");
if (scored.TokenLogProbs.Length != ids.Length - 1 || !double.IsFinite(scored.LogProbSum) || scored.LogProbSum >= 0)
    return Fail("scoring gave no proper log-probabilities");

var generated = new TextGenerator(bundle.Model, bundle.Tokenizer).Generate(["Calculate. 3 + 4"], new SamplingOptions { MaxNewTokens = 12, EosTokenIds = [] })[0];
Console.WriteLine($"generate: {generated.TokenIds.Length} tokens: {generated.Text}");
if (generated.TokenIds.Length != 12) return Fail("generation did not produce 12 tokens");

using var teacher = Teacher.Create(TeacherSpec.Parse("local:" + dir));
var answer = await teacher.AskAsync("Calculate. 3 + 4", options: new() { Temperature = 0, MaxOutputTokens = 12 });
Console.WriteLine($"teacher: {answer}");
Console.WriteLine("sample ok");
return 0;

static int Fail(string why)
{
    Console.Error.WriteLine("sample failed: " + why);
    return 1;
}
