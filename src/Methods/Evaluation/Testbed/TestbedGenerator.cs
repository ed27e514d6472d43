using System.Globalization;

namespace Engine.Methods.Evaluation.Testbed;

/// <summary>
/// Generates records from <see cref="TestbedOptions"/>: balanced families, difficulty drawn in range, the split
/// decided by a stable hash of the prompt (so a test prompt can never appear in train, whatever the seeds), and
/// exactly round(N·noise) corrupted records whose kinds cycle through the chosen list.
/// </summary>
public static class TestbedGenerator
{
    private const int MaxAttempts = 10_000;

    public static List<TestbedRecord> Generate(TestbedOptions options)
    {
        options.Validate();
        int n = options.N;
        var kinds = options.EffectiveNoiseKinds;

        var assignment = options.Weights is null
            ? Enumerable.Range(0, n).Select(i => options.Tasks[i % options.Tasks.Count]).ToList()
            : FamilyCounts(n, options.Weights).SelectMany((c, j) => Enumerable.Repeat(options.Tasks[j], c)).ToList();
        new TestbedRng(TestbedRng.Derive(options.Seed, "tasks")).Shuffle(assignment);

        int corruptedCount = CorruptedCount(n, options.Noise);
        var order = Enumerable.Range(0, n).ToList();
        new TestbedRng(TestbedRng.Derive(options.Seed, "noise")).Shuffle(order);
        var corruption = new CorruptionKind?[n];
        for (int j = 0; j < corruptedCount; j++) corruption[order[j]] = kinds[j % kinds.Count];

        var split = options.Split == TestbedSplit.Train ? "train" : "test";
        var records = new List<TestbedRecord>(n);
        for (int i = 0; i < n; i++)
            records.Add(MakeRecord(options, assignment[i], i, split, corruption[i], kinds));
        return records;
    }

    /// <summary>Records per family for weights: floor shares, then one more to the largest remainders (ties to the earlier family).</summary>
    public static int[] FamilyCounts(int n, IReadOnlyList<double> weights)
    {
        double sum = weights.Sum();
        var exact = weights.Select(w => w / sum * n).ToArray();
        var counts = exact.Select(e => (int)Math.Floor(e)).ToArray();
        int left = n - counts.Sum();
        foreach (var j in Enumerable.Range(0, counts.Length).OrderByDescending(j => exact[j] - counts[j]).ThenBy(j => j).Take(left)) counts[j]++;
        return counts;
    }

    /// <summary>round(n·noise), halves away from zero.</summary>
    public static int CorruptedCount(int n, double noise) => (int)Math.Round(n * noise, MidpointRounding.AwayFromZero);

    /// <summary>Whether a prompt belongs to the test split (stable hash of the prompt text).</summary>
    public static bool IsTestPrompt(string prompt, double testFraction) =>
        StableHash.Of(prompt) % 1_000_000UL < (ulong)(testFraction * 1_000_000);

    private static TestbedRecord MakeRecord(TestbedOptions o, ITaskFamily family, int index, string split, CorruptionKind? kind,
        IReadOnlyList<CorruptionKind> kinds)
    {
        int difficulty = new TestbedRng(TestbedRng.Derive(o.Seed, "difficulty", (ulong)index)).Range(o.MinDifficulty, o.MaxDifficulty);
        bool wantTest = o.Split == TestbedSplit.Test;
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            ulong seed = TestbedRng.Derive(o.Seed, split, (ulong)index, (ulong)attempt);
            var inst = family.Generate(new TestbedRng(seed), difficulty);
            var prompt = inst.Input.Length == 0 ? inst.Instruction : inst.Instruction + "\n" + inst.Input;
            if (IsTestPrompt(prompt, o.TestFraction) != wantTest) continue;
            Validate(family, inst);
            // The split is decided on the plain prompt, so a problem and its framed versions are always on the same side.
            if (o.Framings) inst = TestbedFramings.Apply(family, inst, new TestbedRng(TestbedRng.Derive(seed, "framing")));

            var clean = ResponseComposer.Compose(inst, inst.Steps, inst.Answer, null, o.Cot, o.Length);
            var crng = new TestbedRng(TestbedRng.Derive(seed, "corrupt"));
            var negativeKind = kind ?? kinds[crng.Next(kinds.Count)];
            var negative = Corrupt(negativeKind, family, inst, clean, difficulty, o, crng);
            return new TestbedRecord(
                Id: $"{split}-s{o.Seed.ToString(CultureInfo.InvariantCulture)}-{index.ToString("D6", CultureInfo.InvariantCulture)}",
                Task: family.Name, Domain: inst.Domain ?? family.Domain, Difficulty: difficulty,
                Instruction: inst.Instruction, Input: inst.Input,
                Output: kind is null ? clean : negative, Answer: inst.Answer, Tags: inst.Tags ?? family.Tags,
                Meta: new RecordMeta(kind is not null, kind, clean, seed, negative, negativeKind));
        }
        throw new InvalidOperationException(
            $"testbed: family '{family.Name}' at difficulty {difficulty} gave no {split} prompt in {MaxAttempts} tries; its prompt space is too small for this split.");
    }

    /// <summary>Guards the contract every family must keep: distractors and fabrications are really wrong.</summary>
    private static void Validate(ITaskFamily family, TaskInstance inst)
    {
        if (inst.Steps.Count == 0) throw new InvalidOperationException($"testbed: family '{family.Name}' produced no reasoning step.");
        if (inst.Distractors.Count == 0) throw new InvalidOperationException($"testbed: family '{family.Name}' produced no distractor for '{inst.Input}'.");
        if (!family.Matches(inst.Answer, inst.Answer)) throw new InvalidOperationException($"testbed: family '{family.Name}' rejects its own answer '{inst.Answer}'.");
        foreach (var d in inst.Distractors.Append(inst.Hallucination.Answer))
            if (family.Matches(inst.Answer, d))
                throw new InvalidOperationException($"testbed: family '{family.Name}': wrong answer '{d}' passes the checker for '{inst.Answer}'.");
    }

    /// <summary>Builds one corrupted response of the given kind. See <see cref="CorruptionKind"/> for what each means.</summary>
    internal static string Corrupt(CorruptionKind kind, ITaskFamily family, TaskInstance inst, string clean, int difficulty, TestbedOptions o, TestbedRng rng)
    {
        switch (kind)
        {
            case CorruptionKind.WrongAnswer:
                return ResponseComposer.Compose(inst, inst.Steps, inst.Distractors[rng.Next(inst.Distractors.Count)], null, o.Cot, o.Length);
            case CorruptionKind.LogicError:
            {
                var steps = inst.Steps.ToList();
                int j = rng.Next(steps.Count);
                steps[j] = StepCorruptor.Corrupt(steps[j], rng);
                return ResponseComposer.Compose(inst, steps, inst.Answer, null, o.Cot, o.Length);
            }
            case CorruptionKind.Hallucination:
                return ResponseComposer.Compose(inst, inst.Steps, inst.Hallucination.Answer, inst.Hallucination.Claim, o.Cot, o.Length);
            case CorruptionKind.Truncated:
            {
                // Any cut before the last character removes at least the end of the answer.
                int cut = rng.Range(Math.Max(1, clean.Length / 3), clean.Length - 1);
                return clean[..cut].TrimEnd();
            }
            default:
            {
                var others = TaskRegistry.All.Where(f => f.Name != family.Name).ToList();
                for (int tries = 0; tries < 100; tries++)
                {
                    var other = others[rng.Next(others.Count)];
                    var oi = other.Generate(rng, difficulty);
                    if (family.Matches(inst.Answer, oi.Answer)) continue;
                    return ResponseComposer.Compose(oi, oi.Steps, oi.Answer, null, o.Cot, o.Length);
                }
                throw new InvalidOperationException($"testbed: no off-topic response found for family '{family.Name}'.");
            }
        }
    }
}
