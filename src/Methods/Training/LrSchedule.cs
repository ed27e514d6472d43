namespace Engine.Methods.Training;

/// <summary>
/// Learning-rate multipliers of transformers' get_{constant,linear,cosine}_schedule_with_warmup: the optimizer
/// step with index k (0-based) uses lr·λ(k), so with warmup the very first update has lr 0, as there.
/// Stateless in k, so a resumed run needs only the step count.
/// </summary>
public sealed record LrSchedule(LrScheduleKind Kind, double BaseLr, long WarmupSteps, long TotalSteps)
{
    public static LrSchedule From(TrainerOptions o, long totalSteps)
    {
        long warm = o.WarmupSteps > 0 ? o.WarmupSteps : (long)Math.Ceiling(totalSteps * o.WarmupRatio);
        return new LrSchedule(o.Schedule, o.LearningRate, warm, totalSteps);
    }

    public double Multiplier(long step)
    {
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        double rest = Math.Max(1, TotalSteps - WarmupSteps);
        return Kind switch
        {
            LrScheduleKind.Constant => 1.0,
            LrScheduleKind.Linear => Math.Max(0.0, (TotalSteps - step) / rest),
            LrScheduleKind.Cosine => Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * ((step - WarmupSteps) / rest)))),
            _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
        };
    }

    public double LearningRate(long step) => BaseLr * Multiplier(step);

    public static LrScheduleKind Parse(string s) => s.ToLowerInvariant() switch
    {
        "constant" or "constant_with_warmup" => LrScheduleKind.Constant,
        "linear" => LrScheduleKind.Linear,
        "cosine" => LrScheduleKind.Cosine,
        _ => throw new ArgumentException($"Unknown LR schedule '{s}'. Known: constant, linear, cosine."),
    };
}
