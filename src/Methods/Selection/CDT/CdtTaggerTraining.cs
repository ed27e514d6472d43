using System.Text.Json.Nodes;
using Engine.Methods.Training;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Generation;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Selection.CDT;

/// <summary>A tagged instruction: the text CDT tags and its reference tags.</summary>
public sealed record TaggedInstruction(string Instruction, CapabilityTags Tags);

/// <summary>Per-axis agreement of a tagger with reference tags: cognition as a set of codes, domain, task, and all three at once.</summary>
public sealed record CdtTaggerAccuracy(int N, double Cognition, double Domain, double Task, double All, int Untagged)
{
    public static CdtTaggerAccuracy Compare(IReadOnlyList<CapabilityTags> truth, IReadOnlyList<CapabilityTags> predicted)
    {
        if (truth.Count != predicted.Count) throw new ArgumentException("One prediction per reference.");
        int n = truth.Count, c = 0, d = 0, t = 0, all = 0, untagged = 0;
        for (int i = 0; i < n; i++)
        {
            var (a, b) = (truth[i], predicted[i]);
            bool cog = a.Cognition.ToHashSet(StringComparer.Ordinal).SetEquals(b.Cognition);
            bool dom = a.Domain.Count > 0 && b.Domain.Count > 0 && a.Domain[0] == b.Domain[0];
            bool task = a.Task.Count > 0 && b.Task.Count > 0 && a.Task[0] == b.Task[0];
            c += cog ? 1 : 0; d += dom ? 1 : 0; t += task ? 1 : 0; all += cog && dom && task ? 1 : 0;
            untagged += b.IsComplete ? 0 : 1;
        }
        double F(int k) => n == 0 ? 0 : k / (double)n;
        return new CdtTaggerAccuracy(n, F(c), F(d), F(t), F(all), untagged);
    }
}

/// <summary>
/// The local tagger: supervised fine-tuning of a model on CDT's own tagging conversations built from records whose
/// tags are known (the testbed's ground truth), so that any model folder can then tag through <c>--teacher local:DIR</c>.
/// Each record gives three conversations — system line, the dimension's prompt with its per-sample option order, and
/// the answer in the prompt's JSON format (cognition without explanations: there are none to learn from) — trained on
/// the answer only.
/// </summary>
public static class CdtTaggerTraining
{
    /// <summary>The reply a perfect tagger gives for one dimension.</summary>
    public static string Answer(CdtDimension d, IReadOnlyList<string> labels) => d switch
    {
        CdtDimension.Cognition => "[" + string.Join(", ", labels.Select(l => new JsonObject { ["skill"] = l }.ToJsonString())) + "]",
        _ => new JsonObject { [d.AnswerKey()] = labels[0] }.ToJsonString(),
    };

    /// <summary>Chat records (<c>messages</c>: system, user, assistant) for every tagged dimension of every instruction.</summary>
    public static List<JsonObject> Conversations(IEnumerable<TaggedInstruction> data, CdtTagOptions o)
    {
        var list = new List<JsonObject>();
        foreach (var x in data)
            foreach (var d in CdtDimensions.All)
            {
                var labels = x.Tags[d].Take(d.MaxLabels()).ToArray();
                if (labels.Length == 0 || string.IsNullOrWhiteSpace(x.Instruction)) continue;
                var (system, user) = o.Prompts.Build(d, x.Instruction, o.Labels, o.Style, o.OptionSeed);
                list.Add(new JsonObject
                {
                    ["messages"] = new JsonArray(
                        new JsonObject { ["role"] = "system", ["content"] = system },
                        new JsonObject { ["role"] = "user", ["content"] = user },
                        new JsonObject { ["role"] = "assistant", ["content"] = Answer(d, labels) }),
                });
            }
        return list;
    }

    /// <summary>Fine-tune the model in <paramref name="baseDir"/> on the conversations; the tagger (model, tokenizer, generation config) is saved to <paramref name="outDir"/>.</summary>
    public static TrainResult Train(string baseDir, IReadOnlyList<JsonObject> conversations, string outDir, TrainerOptions options)
    {
        if (conversations.Count == 0) throw new ArgumentException("No tagged records to train the tagger on (records need tags in all or some of cognition, domain, task).");
        Directory.CreateDirectory(outDir);
        var data = Path.Combine(outDir, "tagger-train.jsonl");
        File.WriteAllLines(data, conversations.Select(c => c.ToJsonString()));
        var bundle = ModelBundle.Load(baseDir);
        var (examples, _) = TrainingDataset.LoadSft([data], ExampleTokenizer.FromModel(bundle));
        var trainer = new SftTrainer(new TrainableModel(bundle.Model, null, baseDir), examples,
            options with { OutputDir = outDir, PadTokenId = bundle.Tokenizer.PadTokenId ?? 0 });
        var result = trainer.Train();
        bundle.Tokenizer.Save(outDir);
        (bundle.Generation ?? new GenerationConfig { EosTokenIds = bundle.EosTokenIds }).Save(outDir);
        return result;
    }

    /// <summary>Tag held-out instructions with a teacher (the trained tagger) and compare with their reference tags.</summary>
    public static async Task<(CdtTaggerAccuracy Accuracy, IReadOnlyList<CdtTagResult> Results)> EvaluateAsync(IChatClient teacher, IReadOnlyList<TaggedInstruction> heldOut,
        CdtTagOptions o, CancellationToken ct = default)
    {
        var results = await new CdtTagger(teacher, o).TagManyAsync(heldOut.Select(x => x.Instruction).ToArray(), ct: ct).ConfigureAwait(false);
        return (CdtTaggerAccuracy.Compare(heldOut.Select(x => x.Tags).ToArray(), results.Select(r => r.Tags).ToArray()), results);
    }
}
