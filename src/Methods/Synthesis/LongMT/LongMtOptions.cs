namespace Engine.Methods.Synthesis.LongMT;

/// <summary>How module choices are made before each page.</summary>
public enum ModulePolicy
{
    /// <summary>The model chooses (the LongMT agent).</summary>
    Agent,
    /// <summary>No memory: every page is translated on its own (a baseline).</summary>
    NoMemory,
    /// <summary>Every module, every item (a baseline: all the context there is).</summary>
    All,
    /// <summary>The whole document in one call (a baseline that overflows small contexts).</summary>
    WholeDocument,
}

/// <summary>How finished pages are written into memory.</summary>
public enum MemoryWriterKind
{
    /// <summary>Loong's model calls: a summary, the page's names and their translations.</summary>
    Model,
    /// <summary>No model calls: a lead summary and capitalised names aligned by co-occurrence (<see cref="RuleMemoryWriter"/>).</summary>
    Rules,
}

/// <summary>
/// Options of the LongMT agent. Defaults follow the released Loong code where it has one (top-4 retrieval, ≤ 50-word
/// summaries, 10 sentences a page, 10 alignment retries before halving, sampling temperature 0.7), and say so where we
/// deviate (greedy decoding at inference, a token budget per page, memory written at temperature 0).
/// </summary>
public sealed record LongMtOptions
{
    public string SourceLanguage { get; init; } = "en";
    public string TargetLanguage { get; init; } = "zh";
    /// <summary>Source tokens per page at most (a sentence alone over it gets its own page).</summary>
    public int PageTokens { get; init; } = 400;
    /// <summary>Sentences per page at most (Loong: 10).</summary>
    public int MaxPageSentences { get; init; } = 10;
    /// <summary>Summaries view_summaries returns: all when at most this many, else the most similar (Loong: 4).</summary>
    public int TopSummaries { get; init; } = 4;
    /// <summary>Sentence pairs view_pages returns (Loong: 4).</summary>
    public int TopPairs { get; init; } = 4;
    /// <summary>Entity records look_up_entities returns at most.</summary>
    public int MaxEntities { get; init; } = 8;
    /// <summary>Words a page summary may have (Loong: 50).</summary>
    public int SummaryWords { get; init; } = 50;
    /// <summary>Retries of a page whose translation is not aligned before it is halved (Loong: 10).</summary>
    public int MaxRetries { get; init; } = 10;
    /// <summary>Temperature of a page's first translation attempt (0 = greedy; Loong samples at 0.7).</summary>
    public double Temperature { get; init; }
    /// <summary>Temperature of the retries (a greedy retry would repeat the same answer).</summary>
    public double RetryTemperature { get; init; } = 0.7;
    /// <summary>Temperature of the agent's module choices.</summary>
    public double SelectionTemperature { get; init; }
    /// <summary>Longest selection answer in tokens.</summary>
    public int SelectionMaxTokens { get; init; } = 512;
    /// <summary>Longest page translation in tokens (also capped by the context left after the prompt).</summary>
    public int MaxNewTokens { get; init; } = 2048;
    /// <summary>Translation tokens expected per source token (plus markers) when deciding whether a page fits the context.</summary>
    public double OutputRatio { get; init; } = 1.5;
    public ModulePolicy Policy { get; init; } = ModulePolicy.Agent;
    public MemoryWriterKind Memory { get; init; } = MemoryWriterKind.Model;
    /// <summary>Temperature of the memory writer's calls (Loong: 0.7; 0 keeps a run reproducible).</summary>
    public double MemoryTemperature { get; init; }
    /// <summary>Base of every seed (sampling seeds derive from it, the document index and the page).</summary>
    public ulong Seed { get; init; }
    /// <summary>Documents translated at once (calls of different documents share a local model's decode batch).</summary>
    public int ParallelDocuments { get; init; } = 1;

    public Languages Languages => new(SourceLanguage, TargetLanguage);

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(SourceLanguage) || string.IsNullOrWhiteSpace(TargetLanguage)) throw new ArgumentException("source and target languages are required.");
        if (PageTokens < 1) throw new ArgumentException("PageTokens must be ≥ 1.");
        if (MaxPageSentences < 1) throw new ArgumentException("MaxPageSentences must be ≥ 1.");
        if (TopSummaries < 1 || TopPairs < 1 || MaxEntities < 1) throw new ArgumentException("TopSummaries, TopPairs and MaxEntities must be ≥ 1.");
        if (SummaryWords < 1) throw new ArgumentException("SummaryWords must be ≥ 1.");
        if (MaxRetries < 0) throw new ArgumentException("MaxRetries must be ≥ 0.");
        if (Temperature < 0 || RetryTemperature < 0 || SelectionTemperature < 0 || MemoryTemperature < 0) throw new ArgumentException("temperatures must be ≥ 0.");
        if (SelectionMaxTokens < 1 || MaxNewTokens < 1) throw new ArgumentException("token limits must be ≥ 1.");
        if (OutputRatio <= 0) throw new ArgumentException("OutputRatio must be positive.");
        if (ParallelDocuments < 1) throw new ArgumentException("ParallelDocuments must be ≥ 1.");
    }
}

public enum SearchKind
{
    /// <summary>Monte Carlo tree search with UCB1 over the sequence of module calls (the LongMT proposal).</summary>
    Mcts,
    /// <summary>Level-by-level greedy search, every child scored by sampled translations (the released Loong code).</summary>
    Greedy,
}

/// <summary>How <c>longmt sample</c> searches over module calls and turns the tree into preference pairs.</summary>
public sealed record SearchOptions
{
    public SearchKind Strategy { get; init; } = SearchKind.Mcts;
    /// <summary>MCTS simulations per page (each translates the page once).</summary>
    public int Simulations { get; init; } = 32;
    /// <summary>UCB1's exploration constant c on the normalised reward.</summary>
    public double Exploration { get; init; } = Math.Sqrt(2);
    /// <summary>Relative gain over the no-memory baseline that counts as the full reward 1 (<see cref="LongMtScores.Normalise"/>).</summary>
    public double RewardScale { get; init; } = 0.05;
    /// <summary>Greedy: translations sampled per child (Loong: 5).</summary>
    public int SamplesPerChild { get; init; } = 5;
    /// <summary>Temperature of the sampled translations (Loong: 0.7).</summary>
    public double SampleTemperature { get; init; } = 0.7;
    /// <summary>Visits each side of a pair needs (MCTS; greedy children have <see cref="SamplesPerChild"/>).</summary>
    public int MinVisits { get; init; } = 2;
    /// <summary>Smallest gap in mean normalised reward between chosen and rejected (0.1 = half a percent at the default scale).</summary>
    public double MinGap { get; init; } = 0.1;
    /// <summary>Also pair the best sibling with every worse one (Loong's multi pairs), not only with the worst.</summary>
    public bool AllWorse { get; init; }
    /// <summary>Word n-gram order of the chrF reward: 0 = chrF, 2 = chrF++.</summary>
    public int ChrfWordOrder { get; init; } = 2;
    /// <summary>Weight of the entity agreement with memory in the reward (<see cref="LongMtScores.PageReward"/>).</summary>
    public double EntityWeight { get; init; } = 0.2;

    public void Validate()
    {
        if (Simulations < 1) throw new ArgumentException("Simulations must be ≥ 1.");
        if (Exploration < 0) throw new ArgumentException("Exploration must be ≥ 0.");
        if (RewardScale <= 0) throw new ArgumentException("RewardScale must be positive.");
        if (SamplesPerChild < 1) throw new ArgumentException("SamplesPerChild must be ≥ 1.");
        if (SampleTemperature < 0) throw new ArgumentException("SampleTemperature must be ≥ 0.");
        if (MinVisits < 1) throw new ArgumentException("MinVisits must be ≥ 1.");
        if (MinGap < 0) throw new ArgumentException("MinGap must be ≥ 0.");
        if (ChrfWordOrder is not (0 or 1 or 2)) throw new ArgumentException("ChrfWordOrder must be 0, 1 or 2.");
        if (EntityWeight is < 0 or > 1) throw new ArgumentException("EntityWeight must be in [0, 1].");
    }
}
