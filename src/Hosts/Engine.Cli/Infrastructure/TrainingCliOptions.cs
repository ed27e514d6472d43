using System.CommandLine;
using Engine.Methods.Training;
using Engine.Methods.Core.Data;
using Engine.Methods.Training.Data;
using Engine.Models;
using Engine.Models.Lora;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Cli.Infrastructure;

/// <summary>The options every training verb (sft, dpo, kto) shares, documented once, and the run set-up they imply.</summary>
public sealed class TrainingCliOptions
{
    public Option<string?> Model { get; } = CliOptions.Model("Hugging Face model folder to train (config.json, *.safetensors, tokenizer.json). Default: the embedded default model.");
    public Option<string[]> Data { get; } = new("--data") { Description = "Training data: JSONL or Parquet files, or folders of them (repeatable). Formats are detected per record (see each verb's description).", Required = true, AllowMultipleArgumentsPerToken = true };
    public Option<string[]> EvalData { get; } = new("--eval-data") { Description = "Held-out data files (repeatable). Default: split off --eval-split of --data.", AllowMultipleArgumentsPerToken = true };
    public Option<double> EvalSplit { get; } = new("--eval-split") { Description = "Fraction of --data held out for evaluation when no --eval-data is given (deterministic by record content/id; 0 = none).", DefaultValueFactory = _ => 0.0 };
    public Option<string> Output { get; } = new("--output") { Description = "Output folder: checkpoint-<step>/ folders, metrics, and the final model (HF folder, or PEFT adapter with --save-adapter).", Required = true };
    public Option<double> LearningRate { get; } = new("--lr") { Description = "Peak learning rate (AdamW).", DefaultValueFactory = _ => 2e-5 };
    public Option<string> Schedule { get; } = new("--schedule") { Description = "LR schedule after warmup: constant, linear or cosine (transformers' *_schedule_with_warmup).", DefaultValueFactory = _ => "linear" };
    public Option<int> WarmupSteps { get; } = new("--warmup-steps") { Description = "Linear warmup steps from 0 (overrides --warmup-ratio when > 0).", DefaultValueFactory = _ => 0 };
    public Option<double> WarmupRatio { get; } = new("--warmup-ratio") { Description = "Warmup as a fraction of the total steps (rounded up).", DefaultValueFactory = _ => 0.0 };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 1 };
    public Option<long> MaxSteps { get; } = new("--max-steps") { Description = "Stop after this many optimizer steps, overriding --epochs (-1 = off).", DefaultValueFactory = _ => -1 };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Examples per forward/backward (micro-batch).", DefaultValueFactory = _ => 8 };
    public Option<int> GradAccum { get; } = new("--grad-accum") { Description = "Micro-batches accumulated per optimizer step (effective batch = batch size × this).", DefaultValueFactory = _ => 1 };
    public Option<double> MaxGradNorm { get; } = new("--max-grad-norm") { Description = "Clip the global gradient norm (0 = no clipping).", DefaultValueFactory = _ => 1.0 };
    public Option<double> WeightDecay { get; } = new("--weight-decay") { Description = "AdamW decoupled weight decay (not applied to biases and norm weights).", DefaultValueFactory = _ => 0.0 };
    public Option<double> Beta1 { get; } = new("--adam-beta1") { Description = "AdamW β1.", DefaultValueFactory = _ => 0.9 };
    public Option<double> Beta2 { get; } = new("--adam-beta2") { Description = "AdamW β2.", DefaultValueFactory = _ => 0.999 };
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed for data order, LoRA initialisation and dropout.", DefaultValueFactory = _ => 42 };
    public Option<int> SaveSteps { get; } = new("--save-steps") { Description = "Write an atomic checkpoint every N steps into <output>/checkpoint-<step> (0 = never).", DefaultValueFactory = _ => 0 };
    public Option<int> SaveTotalLimit { get; } = new("--save-total-limit") { Description = "Keep only the newest K checkpoints (0 = all).", DefaultValueFactory = _ => 0 };
    public Option<int> EvalSteps { get; } = new("--eval-steps") { Description = "Evaluate on the held-out data every N steps (0 = only at the end).", DefaultValueFactory = _ => 0 };
    public Option<int> LogSteps { get; } = new("--log-steps") { Description = "Report mean loss and metrics every N steps.", DefaultValueFactory = _ => 10 };
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue from the latest complete checkpoint in --output (same options and data), reproducing the uninterrupted run." };
    public Option<bool> Lora { get; } = new("--lora") { Description = "Train LoRA adapters on a frozen base instead of all weights." };
    public Option<int> LoraRank { get; } = new("--lora-r") { Description = "LoRA rank r.", DefaultValueFactory = _ => 8 };
    public Option<double> LoraAlpha { get; } = new("--lora-alpha") { Description = "LoRA alpha (the update is scaled by alpha/r).", DefaultValueFactory = _ => 16 };
    public Option<double> LoraDropout { get; } = new("--lora-dropout") { Description = "Dropout on the LoRA input.", DefaultValueFactory = _ => 0.0 };
    public Option<string> LoraTargets { get; } = new("--lora-targets") { Description = "Comma-separated module names to adapt (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj) or all-linear.", DefaultValueFactory = _ => "q_proj,v_proj" };
    public Option<bool> SaveAdapter { get; } = new("--save-adapter") { Description = "With --lora, save the final model as a PEFT adapter (adapter_config.json, adapter_model.safetensors) instead of merging it into a full model folder." };
    public Option<int> MaxLength { get; } = new("--max-length") { Description = "Maximum tokens per sequence (prompt + completion); longer examples are truncated (0 = no limit).", DefaultValueFactory = _ => 1024 };
    public Option<bool> SkipBadRecords { get; } = new("--skip-bad-records") { Description = "Report malformed records and continue instead of stopping at the first." };
    public Option<string> Device { get; } = CliOptions.Device();
    public Option<int> Zero { get; } = new("--zero")
    {
        Description = "With several processes (mpirun/srun/torchrun, docs/distributed.md): ZeRO stage. 0 keeps the whole AdamW state on every "
            + "process; 1 shards it, so each process holds and updates 1/N of the optimizer state (gradients reduce-scattered, parameters all-gathered).",
        DefaultValueFactory = _ => 0,
    };
    public Option<bool> OverlapAllReduce { get; } = new("--overlap-allreduce")
    {
        Description = "With several processes: start each gradient bucket's all-reduce during the backward, as soon as its gradients are final "
            + "(PyTorch DDP's overlap), instead of after it. The sums are the same either way. `--overlap-allreduce false` turns it off.",
        DefaultValueFactory = _ => true,
    };
    public Option<int> ParameterCheckSteps { get; } = new("--parameter-check-steps")
    {
        Description = "With several processes: compare a checksum of every process's parameters every N steps and at the end; any difference stops "
            + "the job with an error on every process (0 = never).",
        DefaultValueFactory = _ => 100,
    };
    public Option<string> Precision { get; } = new("--precision")
    {
        Description = "Compute precision: auto (bf16 on cuda, f32 on cpu), f32, or bf16. bf16 is mixed precision as torch.autocast does it: "
            + "master weights, gradients, AdamW moments, clipping and checkpoints stay f32; each step every matmul weight is cast to bf16 once "
            + "and matmuls (forward and backward) take bf16 operands with f32 accumulation and f32 output, so norms, softmax, losses and the "
            + "residual stream stay f32. No loss scaling is needed (bf16 has f32's exponent range). With --lora, bf16 also holds the frozen base "
            + "weights in bf16 (the adapters stay f32; a merged final model is then written in bf16).",
        DefaultValueFactory = _ => "auto",
    };

    public Option<bool> GradientCheckpointing { get; } = new("--gradient-checkpointing")
    {
        Description = "transformers' gradient_checkpointing: each decoder layer keeps only its input and reruns its forward in the backward, so "
            + "activation memory is one hidden vector per layer and token instead of all of a layer's intermediates, for about a third more step "
            + "time. Gradients are bit for bit those of a run without it.",
    };

    public IEnumerable<Option> All => [Model, Data, EvalData, EvalSplit, Output, LearningRate, Schedule, WarmupSteps, WarmupRatio, Epochs, MaxSteps,
        BatchSize, GradAccum, MaxGradNorm, WeightDecay, Beta1, Beta2, Seed, SaveSteps, SaveTotalLimit, EvalSteps, LogSteps, Resume,
        Lora, LoraRank, LoraAlpha, LoraDropout, LoraTargets, SaveAdapter, MaxLength, SkipBadRecords, Device, Precision, GradientCheckpointing, Zero, OverlapAllReduce, ParameterCheckSteps];

    /// <summary>SFT's chunked LM-head loss (added by the verbs whose trainer computes SFT's loss).</summary>
    public static Option<int?> LossChunkTokens() => new("--loss-chunk-tokens")
    {
        Description = "Compute the LM head and cross-entropy this many positions at a time, fused (under autocast each block is rerun in the backward), "
            + "so the [tokens × vocabulary] logits and their gradient never exist at once. 0 = the full logits at once. "
            + "Default: 512 on the CPU when the model runs in f32 without autocast (measured faster and lighter there), else 0. "
            + "Loss and gradients equal to rounding.",
    };

    public void AddTo(Command cmd) { foreach (var o in All) cmd.Options.Add(o); }

    public TrainerOptions TrainerOptions(ParseResult r, int padId) => new()
    {
        LearningRate = r.GetValue(LearningRate),
        Schedule = LrSchedule.Parse(r.GetValue(Schedule)!),
        WarmupSteps = r.GetValue(WarmupSteps),
        WarmupRatio = r.GetValue(WarmupRatio),
        Epochs = r.GetValue(Epochs),
        MaxSteps = r.GetValue(MaxSteps),
        BatchSize = r.GetValue(BatchSize),
        GradientAccumulation = r.GetValue(GradAccum),
        MaxGradNorm = r.GetValue(MaxGradNorm),
        WeightDecay = r.GetValue(WeightDecay),
        Beta1 = r.GetValue(Beta1),
        Beta2 = r.GetValue(Beta2),
        Seed = r.GetValue(Seed),
        SaveSteps = r.GetValue(SaveSteps),
        SaveTotalLimit = r.GetValue(SaveTotalLimit),
        EvalSteps = r.GetValue(EvalSteps),
        EvalBatchSize = r.GetValue(BatchSize),
        LogSteps = r.GetValue(LogSteps),
        OutputDir = r.GetValue(Output),
        MaxLength = r.GetValue(MaxLength),
        PadTokenId = padId,
        FinalSave = r.GetValue(SaveAdapter) ? FinalSaveMode.Adapter : FinalSaveMode.Merged,
        Precision = ComputePrecisions.Parse(r.GetValue(Precision)!, CliOptions.ParseDevice(r.GetValue(Device)!)),
        GradientCheckpointing = r.GetValue(GradientCheckpointing),
        ZeroStage = r.GetValue(Zero),
        OverlapGradientSync = r.GetValue(OverlapAllReduce),
        ParameterCheckSteps = r.GetValue(ParameterCheckSteps),
    };

    /// <summary>The model bundle, and the trainable wrapper (LoRA attached when asked).</summary>
    public (ModelBundle bundle, TrainableModel trainable) LoadModel(ParseResult r)
    {
        var dir = ModelResolver.Resolve(r.GetValue(Model));
        // Under a launcher (mpirun, srun, torchrun) this process is one rank of a data-parallel run; trainers join the world set here.
        var device = DistributedCli.JoinForTraining(r.GetValue(Device)!);
        // Full fine-tuning: the model's tensors are the f32 masters. LoRA under bf16: the frozen base is held in bf16
        // (half its memory; its matmuls take bf16 operands anyway), the adapters are the f32 masters.
        var baseType = r.GetValue(Lora) && ComputePrecisions.Parse(r.GetValue(Precision)!, device) == ComputePrecision.BF16 ? DType.BF16 : DType.F32;
        var bundle = ModelBundle.Load(dir, device, baseType);
        if (r.GetValue(SaveAdapter) && !r.GetValue(Lora)) throw new ArgumentException("--save-adapter needs --lora.");
        LoraModel? lora = null;
        if (r.GetValue(Lora))
            lora = LoraModel.Apply(bundle.Model, new LoraConfig
            {
                Rank = r.GetValue(LoraRank), Alpha = r.GetValue(LoraAlpha), Dropout = r.GetValue(LoraDropout),
                TargetModules = LoraConfig.ParseTargets(r.GetValue(LoraTargets)!), BaseModelNameOrPath = Path.GetFullPath(dir),
            }, r.GetValue(Seed));
        return (bundle, new TrainableModel(bundle.Model, lora, Path.GetFullPath(dir)));
    }

    public static int PadId(ModelBundle b) => b.Tokenizer.PadTokenId ?? b.Tokenizer.EosTokenId ?? b.EosTokenIds.FirstOrDefault();

    public ExampleTokenizer Tokenizer(ParseResult r, ModelBundle bundle) => ExampleTokenizer.FromModel(bundle, new TokenizationOptions
    {
        MaxLength = r.GetValue(MaxLength) is > 0 and var m ? m : null,
    });

    /// <summary>Training and held-out examples: --eval-data, else a deterministic --eval-split of --data.</summary>
    public (List<T> train, List<T> eval) LoadData<T>(ParseResult r, Func<IEnumerable<string>, DatasetOptions, (List<T>, DatasetReport)> load, Func<T, string> key)
    {
        var o = new DatasetOptions { SkipBadRecords = r.GetValue(SkipBadRecords) };
        var (all, report) = load(r.GetValue(Data)!, o);
        Console.Error.WriteLine($"data: {report}");
        if (all.Count == 0) throw new InvalidDataException("No training examples in --data.");
        if (r.GetValue(EvalData) is { Length: > 0 } evalPaths)
        {
            var (ev, evReport) = load(evalPaths, o);
            Console.Error.WriteLine($"eval data: {evReport}");
            return (all, ev);
        }
        double split = r.GetValue(EvalSplit);
        if (split <= 0) return (all, []);
        var (train, eval) = TrainEvalSplit.Split(all, key, split, r.GetValue(Seed).ToString());
        if (train.Count == 0) throw new InvalidDataException($"--eval-split {split} left no training examples.");
        return (train, eval);
    }

    /// <summary>Write the tokenizer and generation config next to a full final model so the folder loads on its own.</summary>
    public static void FinishOutput(ParseResult r, TrainingCliOptions o, ModelBundle bundle)
    {
        var outDir = r.GetValue(o.Output)!;
        if (r.GetValue(o.SaveAdapter) || Runtime.Distributed.Communicators.Current is { Rank: > 0 }) return;
        bundle.Tokenizer.Save(outDir);
        bundle.Generation?.Save(outDir);
    }
}

/// <summary>The one line MetricsLogger does not print: whether the run starts fresh or resumes, and where.</summary>
public sealed class RunBanner(string method) : ITrainerCallback
{
    public void OnTrainBegin(long totalSteps, long startStep) =>
        Console.Error.WriteLine(startStep > 0 ? $"{method}: resuming at step {startStep}/{totalSteps}" : $"{method}: {totalSteps} steps");
}
