using Engine.Models;
using Engine.Models.Generation;
using Engine.Models.Lora;
using Engine.Runtime;
using ChatMessage = Engine.Models.Chat.ChatMessage;

namespace Engine.Methods.Teachers;

/// <summary>
/// A model folder loaded for serving in process: weights (with a PEFT adapter attached, not merged, when given),
/// tokenizer, chat template, decoding defaults and the <see cref="ContinuousBatcher"/> every caller shares. Both
/// `engine serve` and the local teacher run on this, so they answer alike.
/// </summary>
public sealed class LocalModel : IDisposable
{
    public ModelBundle Bundle { get; }
    public ContinuousBatcher Batcher { get; }
    /// <summary>The model's name in API answers: the folder name, with "+adapter-folder-name" when an adapter is attached.</summary>
    public string Name { get; }
    public string? AdapterDirectory { get; }

    private LocalModel(ModelBundle bundle, string? adapterDir, BatcherOptions options)
    {
        Bundle = bundle; AdapterDirectory = adapterDir;
        Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(bundle.Directory)))
            + (adapterDir is null ? "" : "+" + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(adapterDir))));
        Batcher = new ContinuousBatcher(bundle.Model, bundle.Tokenizer, options, bundle.EosTokenIds);
    }

    /// <param name="options">Batching limits; a MaxModelLength of 0 (or no options) means the model's max_position_embeddings capped at 4096.</param>
    public static LocalModel Load(string dir, string? adapterDir = null, Device? device = null, DType dtype = DType.F32, BatcherOptions? options = null)
    {
        var bundle = ModelBundle.Load(dir, device, dtype);
        if (adapterDir is not null)
        {
            if (!Directory.Exists(adapterDir)) throw new DirectoryNotFoundException($"Adapter folder not found: {adapterDir}");
            LoraModel.Load(bundle.Model, adapterDir).Training = false; // no adapter dropout at inference
        }
        options ??= new BatcherOptions { MaxModelLength = 0 };
        if (options.MaxModelLength == 0) options = options with { MaxModelLength = Math.Min(bundle.Model.Config.MaxPositionEmbeddings, 4096) };
        return new LocalModel(bundle, adapterDir, options);
    }

    /// <summary>The model's decoding defaults (generation_config.json) with its end-of-sequence ids.</summary>
    public SamplingOptions Defaults => Bundle.DefaultSampling;

    /// <summary>Render messages with the model's chat template (generation prompt added) and encode them without a second BOS.</summary>
    public int[] EncodeChat(IReadOnlyList<ChatMessage> messages)
    {
        if (Bundle.Tokenizer.ChatTemplate is null)
            throw new InvalidOperationException($"{Bundle.Directory} has no chat_template in tokenizer_config.json: use a completion prompt instead of chat messages.");
        return Bundle.Tokenizer.Encode(Bundle.Tokenizer.ApplyChatTemplate(messages, addGenerationPrompt: true), addSpecialTokens: false);
    }

    /// <summary>A plain text prompt, encoded with the tokenizer's special tokens (BOS where the model uses one).</summary>
    public int[] EncodePrompt(string text) => Bundle.Tokenizer.Encode(text, addSpecialTokens: true);

    public void Dispose() => Batcher.Dispose();
}
