namespace Engine.Methods.Training;

/// <summary>What a trainer reports after each optimizer step.</summary>
public sealed record StepMetrics(long Step, int Epoch, double Loss, double LearningRate, double GradNorm, long Tokens,
    double TokensPerSecond, IReadOnlyDictionary<string, double> Extra);

/// <summary>What a trainer reports after an evaluation pass.</summary>
public sealed record EvalMetrics(long Step, double Loss, IReadOnlyDictionary<string, double> Extra);

/// <summary>Hooks a trainer calls; observability (metrics file, progress, plots) implements them.</summary>
public interface ITrainingCallbacks
{
    void OnTrainBegin(long totalSteps, long startStep);
    void OnStep(StepMetrics m);
    void OnEval(EvalMetrics m);
    void OnCheckpoint(string directory, long step);
    void OnTrainEnd(long step);
}
