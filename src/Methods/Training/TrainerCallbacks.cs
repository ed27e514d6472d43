namespace Engine.Methods.Training;

/// <summary>What a trainer reports after each optimizer step.</summary>
public sealed record StepMetrics(long Step, int Epoch, double Loss, double LearningRate, double GradNorm, long Tokens,
    double TokensPerSecond, IReadOnlyDictionary<string, double> Extra);

/// <summary>What a trainer reports after an evaluation pass.</summary>
public sealed record EvalMetrics(long Step, double Loss, IReadOnlyDictionary<string, double> Extra);

/// <summary>
/// The one interface for watching a run from outside the trainer: metrics files, progress lines, plots, a method's
/// monitors. Every member has an empty default, so an observer implements only what it needs. Callbacks run after
/// the trainer's own hook for the same event (<see cref="TrainerBase{TExample}"/>'s protected virtuals), so they see
/// the state a method has just updated. Behaviour a method changes (its loss, weights, state) belongs in a trainer
/// subclass, not here. In a data-parallel run (several processes) only rank 0 calls them: every rank computes the same metrics.
/// </summary>
public interface ITrainerCallback
{
    /// <summary>Before the first step; <paramref name="startStep"/> &gt; 0 when resuming.</summary>
    void OnTrainBegin(long totalSteps, long startStep) { }
    /// <summary>At the start of each epoch, before its first batch is drawn (not again when resuming mid-epoch).</summary>
    void OnEpochBegin(int epoch) { }
    /// <summary>After each micro-batch's backward; the context still holds the batch, logits and per-token losses.</summary>
    void OnMicroBatch(TrainingStepContext ctx) { }
    /// <summary>After every optimizer step, with that step's own metrics.</summary>
    void OnStepEnd(StepMetrics metrics) { }
    /// <summary>Every <see cref="TrainerOptions.LogSteps"/> steps (and at the last): loss and metrics averaged over the window.</summary>
    void OnLog(StepMetrics metrics) { }
    void OnEval(EvalMetrics metrics) { }
    /// <summary>After a checkpoint folder has been published.</summary>
    void OnCheckpoint(string directory, long step) { }
    void OnTrainEnd(long step) { }
}
