using System.CommandLine;
using Engine.Cli.Infrastructure;
using Engine.Methods.Speech.SelfPowered;
using Engine.Methods.Training;
using Engine.Methods.Training.Observability;
using Engine.Models.Lora;
using Engine.Models.Speech;

namespace Engine.Cli.Commands;

/// <summary>`engine lsm train`: train the speech connector (and optionally LoRA adapters) between a frozen Whisper encoder and a frozen LLM.</summary>
public static class LsmTrainCommand
{
    public static Command Create()
    {
        var llm = new Option<string>("--llm") { Description = "The LLM's Hugging Face folder (frozen; with --lora it gets adapters).", Required = true };
        var encoder = new Option<string>("--encoder") { Description = "A Hugging Face Whisper folder (model_type whisper: WhisperForConditionalGeneration or WhisperModel); its encoder is used, frozen.", Required = true };
        var data = new Option<string[]>("--data") { Description = "Training examples (repeatable): what lsm gen-targets writes, or any JSONL/Parquet with \"audio\", \"instruction\" and \"text\" (the target) per line. Lines with \"kept\": false are left out.", Required = true, AllowMultipleArgumentsPerToken = true };
        var evalData = new Option<string[]>("--eval-data") { Description = "Held-out examples in the same form (repeatable); their loss is reported every --eval-steps and at the end.", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output") { Description = "Output folder: checkpoint-<step>/, metrics.jsonl, the connector in connector/, the LoRA adapter (with --lora) and lsm.json, which lsm generate loads.", Required = true };
        var format = new Option<string>("--prompt-format") { Description = "vicuna (the method: \"...USER: {instruction}\\nSPEECH:<speech>\\nASSISTANT:\", with BOS), chat (the LLM's chat template, user turn \"{instruction}\\n<speech>\"), or a format JSON file. Use the format lsm gen-targets used.", DefaultValueFactory = _ => "vicuna" };
        var initConnector = new Option<string?>("--init-connector") { Description = "Start from this connector folder (speech_connector.json + model.safetensors) instead of a random one; its shape options win." };
        var qHidden = new Option<int>("--qformer-hidden") { Description = "Q-Former hidden size (the method: BERT-base, 768).", DefaultValueFactory = _ => 768 };
        var qLayers = new Option<int>("--qformer-layers") { Description = "Q-Former layers, each with cross-attention (the method: 2).", DefaultValueFactory = _ => 2 };
        var qHeads = new Option<int>("--qformer-heads") { Description = "Q-Former attention heads (the method: 12).", DefaultValueFactory = _ => 12 };
        var qFfn = new Option<int>("--qformer-ffn") { Description = "Q-Former feed-forward size (the method: 3072).", DefaultValueFactory = _ => 3072 };
        var queries = new Option<int>("--queries") { Description = "Learned query tokens per window = speech tokens per window (the method: 1).", DefaultValueFactory = _ => 1 };
        var window = new Option<int>("--window") { Description = "Encoder frames per Q-Former window (the method: 17 ≈ 0.34 s).", DefaultValueFactory = _ => 17 };
        var stride = new Option<int>("--stride") { Description = "Encoder frames between window starts (the method: 17).", DefaultValueFactory = _ => 17 };
        var windowing = new Option<string>("--windowing") { Description = "fixed (windows of --window frames per item, padding masked, tokens past an item's audio left out) or batch_relative (the released code: k = round(T/90) for the batch's longest real length T, no mask).", DefaultValueFactory = _ => "fixed" };
        var minTarget = new Option<int>("--min-target-tokens") { Description = "Keep targets of more than this many tokens, end token included (the method: 5).", DefaultValueFactory = _ => 5 };
        var maxTarget = new Option<int>("--max-target-tokens") { Description = "…and fewer than this many (the method: 2048).", DefaultValueFactory = _ => 2048 };
        var cache = new Option<bool>("--cache-encoder-states") { Description = "Keep each clip's encoder states in memory after its first use (the encoder is frozen): much faster on small data; memory ≈ clips × encoder frames × d_model × 4 bytes (7.7 MB per 30 s clip for Whisper-large)." };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (AdamW) of the connector and adapters (the method: 2e-5).", DefaultValueFactory = _ => 2e-5 };
        var schedule = new Option<string>("--schedule") { Description = "LR schedule after warmup: linear (the method's decay to 0), cosine or constant.", DefaultValueFactory = _ => "linear" };
        var warmup = new Option<int>("--warmup-steps") { Description = "Linear warmup steps (the method: 100).", DefaultValueFactory = _ => 100 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the data (the method: 1).", DefaultValueFactory = _ => 1 };
        var maxSteps = new Option<long>("--max-steps") { Description = "Stop after this many optimizer steps, overriding --epochs (-1 = off).", DefaultValueFactory = _ => -1 };
        var batch = new Option<int>("--batch-size") { Description = "Examples per forward/backward (the method: 12 per device).", DefaultValueFactory = _ => 12 };
        var accum = new Option<int>("--grad-accum") { Description = "Micro-batches per optimizer step (default 32: 12 × 32 = 384 examples, the method's step on 4 GPUs × 8 accumulation).", DefaultValueFactory = _ => 32 };
        var clip = new Option<double>("--max-grad-norm") { Description = "Clip the global gradient norm (the method: 1.0; 0 = off).", DefaultValueFactory = _ => 1.0 };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay, not on biases and LayerNorm weights (the method: 0.05).", DefaultValueFactory = _ => 0.05 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the connector's initialisation, the data order and LoRA's initialisation (the method: 1).", DefaultValueFactory = _ => 1UL };
        var saveSteps = new Option<int>("--save-steps") { Description = "Write an atomic checkpoint every N steps (0 = never); --resume continues from the newest exactly.", DefaultValueFactory = _ => 0 };
        var saveLimit = new Option<int>("--save-total-limit") { Description = "Keep only the newest K checkpoints (0 = all).", DefaultValueFactory = _ => 0 };
        var evalSteps = new Option<int>("--eval-steps") { Description = "Evaluate on --eval-data every N steps (0 = only at the end).", DefaultValueFactory = _ => 0 };
        var logSteps = new Option<int>("--log-steps") { Description = "Report the mean loss every N steps.", DefaultValueFactory = _ => 10 };
        var resume = new Option<bool>("--resume") { Description = "Continue from the newest complete checkpoint in --output (same options and data), reproducing the uninterrupted run." };
        var lora = new Option<bool>("--lora") { Description = "Also train LoRA adapters on the LLM (the released code fine-tunes the whole LLM; the default here keeps it frozen)." };
        var loraR = new Option<int>("--lora-r") { Description = "LoRA rank.", DefaultValueFactory = _ => 8 };
        var loraAlpha = new Option<double>("--lora-alpha") { Description = "LoRA alpha (updates scaled by alpha/r).", DefaultValueFactory = _ => 16 };
        var loraTargets = new Option<string>("--lora-targets") { Description = "Modules to adapt (q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj) or all-linear.", DefaultValueFactory = _ => "q_proj,v_proj" };
        var skipBad = CliOptions.SkipBadRecords();
        var device = CliOptions.Device();
        var cmd = new Command("train", "Train the speech connector (LayerNorm, window Q-Former, queries, projection) so that the frozen LLM, given the speech in place of the transcript, "
            + "writes each example's target; the Whisper encoder and the LLM stay frozen (LoRA optional).")
        {
            llm, encoder, data, evalData, output, format, initConnector, qHidden, qLayers, qHeads, qFfn, queries, window, stride, windowing, minTarget, maxTarget, cache,
            lr, schedule, warmup, epochs, maxSteps, batch, accum, clip, wd, seed, saveSteps, saveLimit, evalSteps, logSteps, resume, lora, loraR, loraAlpha, loraTargets, skipBad, device,
        };
        cmd.SetAction(r =>
        {
            var outDir = r.GetValue(output)!;
            var o = new SelfPoweredTrainOptions
            {
                Llm = r.GetValue(llm)!, Encoder = r.GetValue(encoder)!, Data = r.GetValue(data)!, EvalData = r.GetValue(evalData), Output = outDir,
                Format = SpeechPromptFormat.Resolve(r.GetValue(format)!), InitConnector = r.GetValue(initConnector),
                Connector = new SpeechConnectorConfig
                {
                    HiddenSize = r.GetValue(qHidden), NumLayers = r.GetValue(qLayers), NumHeads = r.GetValue(qHeads), IntermediateSize = r.GetValue(qFfn),
                    NumQueries = r.GetValue(queries), WindowFrames = r.GetValue(window), WindowStride = r.GetValue(stride),
                    Windowing = r.GetValue(windowing) switch
                    {
                        "fixed" => QFormerWindowing.Fixed, "batch_relative" => QFormerWindowing.BatchRelative,
                        var x => throw new ArgumentException($"--windowing must be fixed or batch_relative, not '{x}'."),
                    },
                },
                Lora = r.GetValue(lora) ? new LoraConfig { Rank = r.GetValue(loraR), Alpha = r.GetValue(loraAlpha), TargetModules = LoraConfig.ParseTargets(r.GetValue(loraTargets)!) } : null,
                MinTargetTokens = r.GetValue(minTarget), MaxTargetTokens = r.GetValue(maxTarget), CacheInMemory = r.GetValue(cache),
                SkipBadRecords = r.GetValue(skipBad), Resume = r.GetValue(resume),
                // Under a launcher (mpirun, srun, torchrun) this process is one rank of a data-parallel run: the trainer joins the world.
                Device = DistributedCli.JoinForTraining(r.GetValue(device)!),
                Trainer = new TrainerOptions
                {
                    LearningRate = r.GetValue(lr), Schedule = LrSchedule.Parse(r.GetValue(schedule)!), WarmupSteps = r.GetValue(warmup), Epochs = r.GetValue(epochs),
                    MaxSteps = r.GetValue(maxSteps), BatchSize = r.GetValue(batch), GradientAccumulation = r.GetValue(accum), MaxGradNorm = r.GetValue(clip),
                    WeightDecay = r.GetValue(wd), Seed = r.GetValue(seed), SaveSteps = r.GetValue(saveSteps), SaveTotalLimit = r.GetValue(saveLimit),
                    EvalSteps = r.GetValue(evalSteps), EvalBatchSize = r.GetValue(batch), LogSteps = r.GetValue(logSteps),
                },
            };
            using var metrics = new MetricsLogger(outDir);
            var result = SelfPoweredTraining.Run(o, [new RunBanner("lsm train"), metrics], m => Console.Error.WriteLine(m));
            var t = result.Train;
            Console.WriteLine($"trained {t.Steps} steps ({result.ConnectorParameters:N0} connector parameters), final loss {t.FinalLoss:F4}"
                + (t.FinalEval is { } e ? $", eval loss {e.Loss:F4}" : "") + $"; speech LLM in {result.Output} (lsm.json)");
            return 0;
        });
        return cmd;
    }
}
