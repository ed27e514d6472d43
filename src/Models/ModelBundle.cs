using Engine.Models.Generation;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models;

/// <summary>What a model folder holds: the network, its tokenizer and its decoding defaults.</summary>
public sealed record ModelBundle(string Directory, TransformerModel Model, HfTokenizer Tokenizer, GenerationConfig? Generation)
{
    public static ModelBundle Load(string dir, Device? device = null, DType dtype = DType.F32)
    {
        if (!System.IO.Directory.Exists(dir)) throw new DirectoryNotFoundException($"Model folder not found: {dir}");
        var model = TransformerModel.Load(dir, device, dtype);
        var tok = HfTokenizer.Load(dir);
        if (tok.VocabSize > model.Config.VocabSize)
            throw new InvalidDataException($"{dir}: tokenizer has {tok.VocabSize} tokens but the model's vocab_size is {model.Config.VocabSize}.");
        return new ModelBundle(dir, model, tok, GenerationConfig.Load(dir));
    }

    /// <summary>End-of-sequence ids: generation_config, then config.json, then the tokenizer's eos token.</summary>
    public int[] EosTokenIds =>
        Generation is { EosTokenIds.Length: > 0 } g ? g.EosTokenIds :
        Model.Config.EosTokenIds.Length > 0 ? Model.Config.EosTokenIds :
        Tokenizer.EosTokenId is { } e ? [e] : [];

    public SamplingOptions DefaultSampling => (Generation?.ToSamplingOptions() ?? new SamplingOptions()) with { EosTokenIds = EosTokenIds };
}
