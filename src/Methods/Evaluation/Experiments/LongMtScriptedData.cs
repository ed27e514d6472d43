using System.Text.Json.Nodes;
using Engine.Methods.Evaluation.Testbed;
using Engine.Methods.Synthesis.LongMT;
using Microsoft.Extensions.AI;

namespace Engine.Methods.Evaluation.Experiments;

/// <summary>
/// Scripted training conversations for a tiny LongMT agent, built from testbed documents and their references: a model
/// of a hundred thousand parameters cannot choose memory modules, or even answer in the selection format, without
/// first being shown how. The memory is built exactly as the agent builds it (the same offer, prompts and rule writer),
/// but from the reference translations. Per page:
/// <list type="bullet">
/// <item>one selection conversation whose choices are random (each offered module called with probability ½, in
/// canonical order, then END): it teaches the format, not which choice is good — that is left to DPO on the search's
/// pairs;</item>
/// <item>page translations with no memory, with all of it, and with a random part of it, so the model learns to use
/// whatever memory it is given (names from the entity records, a term's sense from earlier pairs or summaries).</item>
/// </list>
/// </summary>
public static class LongMtScriptedData
{
    public static List<JsonObject> Build(IReadOnlyList<LongDocument> docs, LongMtOptions options, LongMtPrompts prompts, ulong seed)
    {
        var rows = new List<JsonObject>();
        var writer = new RuleMemoryWriter(options.SummaryWords);
        for (int d = 0; d < docs.Count; d++)
        {
            var doc = docs[d];
            var rng = new TestbedRng(TestbedRng.Derive(seed, "longmt-script", (ulong)d));
            var memory = new DocumentMemory(new HashedNgramEmbedder(), options.TopSummaries, options.TopPairs, options.MaxEntities);
            foreach (var page in PageSplitter.Split(doc.Source, _ => 1, int.MaxValue, options.MaxPageSentences))
            {
                var lines = page.Of(doc.Source);
                var refs = page.Of(doc.Reference);
                var offer = memory.Offer(lines);
                var target = PageMarkup.Render(refs);
                if (offer.Count > 0)
                {
                    var dialogue = new SelectionDialogue(prompts, options.Languages, lines, offer);
                    foreach (var (module, _) in offer)
                        if (rng.Coin()) dialogue.Answer(SelectionAnswer.Render(module), new SelectionAnswer(module, null, []));
                    if (dialogue.Messages[^1].Role == ChatRole.User) dialogue.Answer(SelectionAnswer.Render(null), new SelectionAnswer(null, null, []));
                    rows.Add(Conversation(dialogue.Messages));
                }
                var subsets = new List<IReadOnlyList<ModuleCall>> { Array.Empty<ModuleCall>(), offer.Select(o => new ModuleCall(o.Module, null)).ToList() };
                subsets.Add(offer.Where(_ => rng.Coin()).Select(o => new ModuleCall(o.Module, null)).ToList());
                foreach (var calls in subsets.DistinctBy(c => string.Join(",", c.Select(x => x.Module))))
                {
                    var prompt = prompts.Translate(options.Languages, lines, SelectionDialogue.Selected(offer, calls));
                    rows.Add(Conversation([new ChatMessage(ChatRole.User, prompt), new ChatMessage(ChatRole.Assistant, target)]));
                }
                memory.Apply(page.Index, lines, refs, writer.WriteAsync(page.Index, lines, refs, memory).GetAwaiter().GetResult());
            }
        }
        return rows;
    }

    private static JsonObject Conversation(IEnumerable<ChatMessage> messages) => new() { ["messages"] = PageRecord.Messages(messages) };

    /// <summary>ChatML text of conversations, for tokenizer training.</summary>
    public static IEnumerable<string> ChatText(IEnumerable<JsonObject> rows) => rows.Select(r =>
        string.Concat(r["messages"]!.AsArray().Select(m => $"<|im_start|>{m!["role"]!.GetValue<string>()}\n{m["content"]!.GetValue<string>()}<|im_end|>\n")));
}
