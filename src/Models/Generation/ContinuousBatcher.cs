using System.Threading.Channels;
using Engine.Models.Tokenizers;
using Engine.Models.Transformer;
using Engine.Runtime;

namespace Engine.Models.Generation;

/// <summary>Limits of a <see cref="ContinuousBatcher"/>.</summary>
public sealed record BatcherOptions
{
    /// <summary>Sequences decoded together (KV-cache slots); a request with n choices takes n.</summary>
    public int MaxBatch { get; init; } = 16;
    /// <summary>Requests waiting for slots; beyond this <see cref="ContinuousBatcher.TryEnqueue"/> refuses.</summary>
    public int MaxQueue { get; init; } = 64;
    /// <summary>Most positions of one sequence (prompt + generated tokens).</summary>
    public int MaxModelLength { get; init; } = 2048;
    /// <summary>Prompt tokens prefilled between two decode steps (always at least one request), so long prompts do not stall running sequences for long.</summary>
    public int PrefillTokenBudget { get; init; } = 512;

    public void Validate()
    {
        if (MaxBatch < 1) throw new ArgumentException("MaxBatch must be ≥ 1.");
        if (MaxQueue < 0) throw new ArgumentException("MaxQueue must be ≥ 0.");
        if (MaxModelLength < 2) throw new ArgumentException("MaxModelLength must be ≥ 2.");
        if (PrefillTokenBudget < 1) throw new ArgumentException("PrefillTokenBudget must be ≥ 1.");
    }
}

/// <summary>Counters since start: tokens in and out, finished requests, decode steps, and the current load.</summary>
public sealed record BatcherStats(long PromptTokens, long GeneratedTokens, long FinishedRequests, long DecodeSteps, int Running, int Waiting);

/// <summary>
/// Continuous batching: one background loop owns the model and a <see cref="SlotKvCache"/>. Between two decode steps
/// it admits waiting requests (each prompt prefilled into free slots, its n choices copied from the one prefill) and
/// drops finished or cancelled sequences, so requests that arrive at different times share every decode step instead
/// of waiting for each other. Each choice streams <see cref="GenerationChunk"/>s through its request's channel.
/// </summary>
public sealed class ContinuousBatcher : IDisposable
{
    private readonly Channel<Pending> _inbox;
    private readonly SlotKvCache _cache;
    private readonly Row?[] _rows;
    private readonly Thread _loop;
    private readonly IReadOnlyList<int> _eos;
    private Pending? _next;
    private int _active;
    private long _promptTokens, _generatedTokens, _finished, _steps;
    private volatile bool _stopping;

    public TransformerModel Model { get; }
    public ITokenizer? Tokenizer { get; }
    public BatcherOptions Options { get; }

    /// <param name="eosTokenIds">End-of-sequence ids when a request's SamplingOptions names none (default: the model config's).</param>
    public ContinuousBatcher(TransformerModel model, ITokenizer? tokenizer, BatcherOptions? options = null, IReadOnlyList<int>? eosTokenIds = null)
    {
        Model = model; Tokenizer = tokenizer; Options = options ?? new BatcherOptions();
        Options.Validate();
        _eos = eosTokenIds ?? model.Config.EosTokenIds;
        _cache = SlotKvCache.For(model, Options.MaxBatch, Options.MaxModelLength, Math.Min(256, Options.MaxModelLength));
        _rows = new Row?[Options.MaxBatch];
        // A queue of 0 still lets a request wait while the loop picks it up.
        _inbox = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Math.Max(1, Options.MaxQueue)) { SingleReader = true });
        _loop = new Thread(Loop) { IsBackground = true, Name = "engine-batcher" };
        _loop.Start();
    }

    public BatcherStats Stats => new(Interlocked.Read(ref _promptTokens), Interlocked.Read(ref _generatedTokens), Interlocked.Read(ref _finished),
        Interlocked.Read(ref _steps), Volatile.Read(ref _active), _inbox.Reader.Count + (Volatile.Read(ref _next) is null ? 0 : 1));

    /// <summary>Queue a request; false when the queue is full (the caller answers "busy"). Invalid requests throw ArgumentException.</summary>
    public bool TryEnqueue(GenerationRequest request, out ChannelReader<GenerationChunk> output, CancellationToken ct = default)
    {
        var p = NewPending(request, ct);
        output = p.Output.Reader;
        return _inbox.Writer.TryWrite(p);
    }

    /// <summary>Queue a request, waiting for room in the queue.</summary>
    public async ValueTask<ChannelReader<GenerationChunk>> EnqueueAsync(GenerationRequest request, CancellationToken ct = default)
    {
        var p = NewPending(request, ct);
        await _inbox.Writer.WriteAsync(p, ct).ConfigureAwait(false);
        return p.Output.Reader;
    }

    /// <summary>Run a request to the end and collect each choice's result.</summary>
    public async Task<GenerationResult[]> GenerateAsync(GenerationRequest request, CancellationToken ct = default) =>
        await CollectAsync(await EnqueueAsync(request, ct).ConfigureAwait(false), request.N, ct).ConfigureAwait(false);

    /// <summary>Assemble the chunks of a request into one result per choice.</summary>
    public static async Task<GenerationResult[]> CollectAsync(ChannelReader<GenerationChunk> output, int n, CancellationToken ct = default)
    {
        var text = Enumerable.Range(0, n).Select(_ => new System.Text.StringBuilder()).ToArray();
        var tokens = Enumerable.Range(0, n).Select(_ => new List<TokenLogProb>()).ToArray();
        var finish = new string[n];
        await foreach (var c in output.ReadAllAsync(ct).ConfigureAwait(false))
        {
            text[c.Choice].Append(c.Text);
            tokens[c.Choice].AddRange(c.Tokens);
            if (c.FinishReason is { } f) finish[c.Choice] = f;
        }
        return Enumerable.Range(0, n).Select(i => new GenerationResult(tokens[i].Select(t => t.TokenId).ToArray(), text[i].ToString(),
            tokens[i].Select(t => t.LogProb).ToArray(), finish[i])).ToArray();
    }

    private Pending NewPending(GenerationRequest request, CancellationToken ct)
    {
        request.Validate();
        if (request.N > Options.MaxBatch) throw new ArgumentException($"n = {request.N} is more than the {Options.MaxBatch} sequences decoded together.");
        int need = request.PromptIds.Length + request.Sampling.MaxNewTokens;
        if (need > Options.MaxModelLength)
            throw new ArgumentException($"prompt ({request.PromptIds.Length} tokens) + max new tokens ({request.Sampling.MaxNewTokens}) = {need} is more than the maximum sequence length {Options.MaxModelLength}.");
        int vocab = Model.Config.VocabSize;
        foreach (var id in request.PromptIds)
            if (id < 0 || id >= vocab) throw new ArgumentException($"prompt token id {id} is outside the vocabulary [0, {vocab}).");
        return new Pending(request, ct, (request.Sampling.EosTokenIds ?? _eos).ToHashSet());
    }

    public void Dispose()
    {
        _stopping = true;
        _inbox.Writer.TryComplete();
        _loop.Join();
    }

    private void Loop()
    {
        using var _ = Autograd.NoGrad();
        while (!_stopping)
        {
            if (_active == 0 && _next is null && !_inbox.Reader.TryPeek(out var _))
                if (!_inbox.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) break;
            try
            {
                Admit();
                if (_active > 0) DecodeStep();
            }
            catch (Exception e)
            {
                // A failed forward fails the requests in the batch, not the loop: the next request starts clean.
                for (int i = 0; i < _active; i++) _rows[i]!.Owner.Fail(e);
                for (int i = 0; i < _rows.Length; i++) { _rows[i] = null; _cache.SetLength(i, 0); }
                Volatile.Write(ref _active, 0);
            }
        }
        var stopped = new ObjectDisposedException(nameof(ContinuousBatcher));
        for (int i = 0; i < _active; i++) _rows[i]!.Owner.Fail(stopped);
        _next?.Fail(stopped);
        while (_inbox.Reader.TryRead(out var p)) p.Fail(stopped);
    }

    /// <summary>Prefill waiting requests into free slots, up to the prefill budget (at least one request).</summary>
    private void Admit()
    {
        int budget = Options.PrefillTokenBudget;
        bool first = true;
        while (true)
        {
            var p = _next;
            if (p is null && !_inbox.Reader.TryRead(out p)) return;
            Volatile.Write(ref _next, null);
            if (p.Token.IsCancellationRequested) { p.Cancel(); continue; }
            if (_active + p.Request.N > _rows.Length || (!first && p.Request.PromptIds.Length > budget))
            {
                Volatile.Write(ref _next, p);
                return;
            }
            budget -= p.Request.PromptIds.Length;
            first = false;
            Prefill(p);
            Compact();
        }
    }

    private void Prefill(Pending p)
    {
        var prompt = p.Request.PromptIds;
        Interlocked.Add(ref _promptTokens, prompt.Length);
        int slot = _active;
        for (int j = 0; j < p.Request.N; j++) _rows[slot + j] = new Row(p, j, new StreamingText(Tokenizer, p.Request.Sampling.StopStrings));
        p.Open = p.Request.N;
        Volatile.Write(ref _active, _active + p.Request.N);
        if (p.Request.Sampling.MaxNewTokens == 0)
        {
            for (int j = 0; j < p.Request.N; j++) Finish(_rows[slot + j]!, "length");
            return;
        }
        _cache.SetLength(slot, 0);
        _cache.Window(slot, 1);
        _cache.EnsureCapacity(prompt.Length);
        var hidden = Model.ForwardHidden(ToDevice(Tensor.FromArray(prompt.Select(t => (long)t).ToArray(), 1, prompt.Length)), null, null, _cache);
        var logits = Model.Logits(hidden.Narrow(1, prompt.Length - 1, 1).Reshape(1, -1)).To(DType.F32);
        for (int j = 1; j < p.Request.N; j++) _cache.CopySlot(slot, slot + j);
        for (int j = 0; j < p.Request.N; j++) Sample(_rows[slot + j]!, logits);
    }

    private void DecodeStep()
    {
        int b = _active;
        _cache.Window(0, b);
        _cache.EnsureCapacity(_cache.Length + 1);
        var ids = new long[b];
        var pos = new long[b];
        for (int i = 0; i < b; i++) { ids[i] = _rows[i]!.LastToken; pos[i] = _cache.LengthOf(i); }
        var hidden = Model.ForwardHidden(ToDevice(Tensor.FromArray(ids, b, 1)), _cache.KeyMask(1), pos, _cache);
        var logits = Model.Logits(hidden.Reshape(b, -1)).To(DType.F32);
        Interlocked.Increment(ref _steps);
        for (int i = 0; i < b; i++) Sample(_rows[i]!, logits.Narrow(0, i, 1));
        Compact();
    }

    /// <summary>Draw the next token of one row from its logits [1, V], then stream it or finish the row.</summary>
    private void Sample(Row row, Tensor logits)
    {
        var p = row.Owner;
        if (p.Done) { row.Finished = true; return; }
        if (p.Token.IsCancellationRequested) { p.Cancel(); row.Finished = true; return; }
        var o = p.Request.Sampling;
        var prev = o.RepetitionPenalty != 1.0 ? ToDevice(Context(p.Request.PromptIds, row.Generated)) : null;
        var sampled = Ops.SampleTokens(logits, o.ToParams(), o.Seed, ((ulong)row.Choice << 24) | (uint)row.Step, prev);
        int tok = (int)sampled.Ids.To(Device.Cpu).ToArray<long>()[0];
        double lp = sampled.LogProbs.To(Device.Cpu).ToArray<double>()[0];
        row.Step++;
        if (p.Eos.Contains(tok)) { Finish(row, "eos"); return; }
        Interlocked.Increment(ref _generatedTokens);
        row.Generated.Add(tok);
        row.LastToken = tok;
        var top = p.Request.TopLogProbs > 0 ? TopLogProbs.Of(logits.To(Device.Cpu).ToArray<float>(), p.Request.TopLogProbs) : [];
        row.Unsent.Add(new TokenLogProb(tok, lp, top));
        var (delta, stopped) = row.Text.Add(tok);
        if (stopped) { Finish(row, "stop", delta); return; }
        if (row.Generated.Count >= o.MaxNewTokens) { Finish(row, "length", delta); return; }
        // Without a tokenizer there is no text to wait for: every token is a chunk.
        if (delta.Length > 0 || Tokenizer is null) Emit(row, delta, null);
    }

    /// <param name="delta">Text the last token released; after a stop string nothing more is, else the held-back rest is.</param>
    private void Finish(Row row, string reason, string delta = "")
    {
        row.Finished = true;
        Emit(row, delta + (reason == "stop" ? "" : row.Text.Flush()), reason);
        if (--row.Owner.Open == 0)
        {
            row.Owner.Complete();
            Interlocked.Increment(ref _finished);
        }
    }

    private static void Emit(Row row, string text, string? finish)
    {
        row.Owner.Output.Writer.TryWrite(new GenerationChunk(row.Choice, text, row.Unsent.ToArray(), finish));
        row.Unsent.Clear();
    }

    /// <summary>Move the last running rows into the slots of finished ones, so running rows stay in slots [0, active).</summary>
    private void Compact()
    {
        int i = 0, active = _active;
        while (i < active)
        {
            if (!_rows[i]!.Finished) { i++; continue; }
            int last = active - 1;
            if (i != last) { _cache.CopySlot(last, i); _rows[i] = _rows[last]; }
            _rows[last] = null;
            _cache.SetLength(last, 0);
            active--;
        }
        Volatile.Write(ref _active, active);
    }

    /// <summary>Prompt + generated ids of one row [1, L]: the tokens the repetition penalty sees.</summary>
    private static Tensor Context(int[] prompt, List<int> generated)
    {
        var ctx = new long[prompt.Length + generated.Count];
        for (int i = 0; i < prompt.Length; i++) ctx[i] = prompt[i];
        for (int i = 0; i < generated.Count; i++) ctx[prompt.Length + i] = generated[i];
        return Tensor.FromArray(ctx, 1, ctx.Length);
    }

    private Tensor ToDevice(Tensor t) => Model.Device.IsCpu ? t : t.To(Model.Device);

    /// <summary>A request in the queue or in the batch, and where its chunks go.</summary>
    private sealed class Pending(GenerationRequest request, CancellationToken token, HashSet<int> eos)
    {
        public GenerationRequest Request { get; } = request;
        public CancellationToken Token { get; } = token;
        public HashSet<int> Eos { get; } = eos;
        public Channel<GenerationChunk> Output { get; } = Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleWriter = true });
        public int Open { get; set; }
        public bool Done { get; private set; }

        public void Complete() { Done = true; Output.Writer.TryComplete(); }
        public void Cancel() { Done = true; Output.Writer.TryComplete(new OperationCanceledException(Token)); }
        public void Fail(Exception e) { Done = true; Output.Writer.TryComplete(e); }
    }

    /// <summary>One choice of a request in a slot.</summary>
    private sealed class Row(Pending owner, int choice, StreamingText text)
    {
        public Pending Owner { get; } = owner;
        public int Choice { get; } = choice;
        public StreamingText Text { get; } = text;
        public List<int> Generated { get; } = [];
        public List<TokenLogProb> Unsent { get; } = [];
        public int Step { get; set; }
        public int LastToken { get; set; }
        public bool Finished { get; set; }
    }
}
