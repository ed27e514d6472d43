using System.Runtime.CompilerServices;

namespace Engine.Runtime;

/// <summary>
/// Mixed-precision scope, like <c>torch.autocast</c>: while one is open in the calling async flow, <see cref="Ops.MatMul"/> and
/// <see cref="Ops.Linear"/> round their f32 operands to <see cref="ComputeDType"/> (bf16), multiply with f32
/// accumulation and return f32 (<see cref="IBackend.MixedMatMul"/>). Everything else (norms, softmax, losses, the
/// residual stream, gradients reaching parameters) stays f32: the split that needs no loss scaling for bf16.
/// Backward matmuls run the same way (the incoming gradient rounded to bf16, the saved bf16 operands reused), and
/// the gradient of an f32 master weight is returned in f32 (the cast's backward is the identity in f32).
///
/// Weight operands of <see cref="Ops.Linear"/> that are leaves (parameters, frozen weights) are cast once per scope
/// and reused by every later call (gradient accumulation, evaluation), until an in-place update of the weight
/// (<see cref="MarkUpdated(Tensor)"/>, called by AdamW for each parameter it steps) makes its cast stale. A trainer
/// opens one scope per optimizer step. Scopes follow the async flow that opened them (they survive <c>await</c>). Nested scopes with the same dtype share the outer scope's cache; <see cref="Disable"/> opens an f32 region inside one.
/// Code that writes weights in place while a scope is open (other than through AdamW or TrainableModel) must call
/// <see cref="MarkUpdated(Tensor)"/> (or <see cref="InvalidateWeights"/>) afterwards, or later matmuls in that scope
/// would still see the old bf16 copies.
/// </summary>
public sealed class Autocast : IDisposable
{
    // AsyncLocal: a scope survives `await` (the continuation may run on another thread) and flows into tasks started
    // inside it; the weight cache is then shared, so it is locked.
    private static readonly AsyncLocal<Autocast?> CurrentScope = new();
    private static Autocast? Innermost { get => CurrentScope.Value; set => CurrentScope.Value = value; }
    private static long _globalVersion;
    // Per-storage update counters: a cached cast is valid while its weight's storage has not been written since.
    private static readonly ConditionalWeakTable<Storage, StrongBox<long>> StorageVersions = new();

    private readonly Autocast? _outer;
    private readonly Dictionary<Tensor, (long version, Tensor cast)>? _cache;
    private readonly Autocast? _cacheOwner;
    private bool _disposed;

    /// <summary>The dtype matmul operands are rounded to; null inside a <see cref="Disable"/> region.</summary>
    public DType? ComputeDType { get; }

    /// <summary>Casts done by this cache (a weight cast again after an update counts again), for tests and diagnostics.</summary>
    public int CastCount => CacheOwner?._castCount ?? 0;
    private int _castCount;

    private Autocast(DType? dtype, bool cacheWeights)
    {
        _outer = Innermost;
        ComputeDType = dtype;
        if (dtype is not null && cacheWeights)
        {
            // Share the cache of an enclosing scope of the same dtype (e.g. the model's own scope inside a trainer's).
            if (_outer is { ComputeDType: { } od } && od == dtype && _outer.CacheOwner is { } owner) _cacheOwner = owner;
            else _cache = new(ReferenceEqualityComparer.Instance);
        }
        Innermost = this;
    }

    private Autocast? CacheOwner => _cache is not null ? this : _cacheOwner;

    /// <summary>The innermost open scope in this async flow, or null.</summary>
    public static Autocast? Current => Innermost;

    /// <summary>The dtype matmuls here autocast to now in this async flow (null: none, plain f32 math).</summary>
    public static DType? ActiveDType => Innermost?.ComputeDType;

    /// <summary>Open a scope: matmuls autocast to <paramref name="dtype"/> (BF16; F16 is accepted by the CPU reference only).</summary>
    public static Autocast Enable(DType dtype = DType.BF16, bool cacheWeights = true)
    {
        if (dtype is not (DType.BF16 or DType.F16)) throw new ArgumentException($"Autocast needs a 16-bit float compute dtype (BF16 or F16), got {dtype}.");
        return new Autocast(dtype, cacheWeights);
    }

    /// <summary>An f32 region inside an autocast scope (torch.autocast(enabled=False)).</summary>
    public static Autocast Disable() => new(null, cacheWeights: false);

    /// <summary>The scope a precision policy implies: autocast for BF16, nothing (null, fine in a using) for F32.</summary>
    public static Autocast? For(ComputePrecision precision) => precision == ComputePrecision.BF16 ? Enable(DType.BF16) : null;

    /// <summary>Every cached cast made before now is stale, on every thread (the next use of each weight casts it again).</summary>
    public static void InvalidateWeights() => Interlocked.Increment(ref _globalVersion);

    /// <summary>
    /// <paramref name="weight"/>'s elements were written in place (optimizer step, checkpoint load): cached casts of it, or
    /// of any other view of its storage, are stale. Cheap (a counter per storage); other weights' casts stay valid.
    /// </summary>
    public static void MarkUpdated(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        Interlocked.Increment(ref StorageVersions.GetValue(weight.Storage, _ => new StrongBox<long>()).Value);
    }

    /// <summary><see cref="MarkUpdated(Tensor)"/> for each tensor.</summary>
    public static void MarkUpdated(IEnumerable<Tensor> weights)
    {
        foreach (var w in weights) MarkUpdated(w);
    }

    private static long VersionOf(Tensor t) =>
        Interlocked.Read(ref _globalVersion) + (StorageVersions.TryGetValue(t.Storage, out var box) ? Interlocked.Read(ref box.Value) : 0);

    /// <summary>True when a matmul of these operands is autocast now: a scope is active and both are f32 or the compute dtype.</summary>
    internal static bool Applies(Tensor a, Tensor b) =>
        ActiveDType is { } d && IsCastable(a.DType, d) && IsCastable(b.DType, d);

    private static bool IsCastable(DType t, DType compute) => t == DType.F32 || t == compute;

    /// <summary>
    /// <paramref name="t"/> in the compute dtype, without recording a cast on the tape (the op that uses it records its
    /// own backward). Leaf weights are cached per scope when <paramref name="cacheable"/>.
    /// </summary>
    internal static Tensor Cast(Tensor t, DType dtype, bool cacheable)
    {
        if (t.DType == dtype) return t.Contiguous();
        var owner = Innermost?.CacheOwner;
        if (!cacheable || owner is null || !t.IsLeaf) return CastNoGrad(t, dtype);
        long version = VersionOf(t);
        lock (owner._cache!)
        {
            if (owner._cache.TryGetValue(t, out var hit) && hit.version == version && hit.cast.DType == dtype) return hit.cast;
            var cast = CastNoGrad(t, dtype);
            owner._cache[t] = (version, cast);
            owner._castCount++;
            return cast;
        }
    }

    private static Tensor CastNoGrad(Tensor t, DType dtype)
    {
        using var _ = Autograd.NoGrad();
        return t.Contiguous().To(dtype);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!ReferenceEquals(Innermost, this)) throw new InvalidOperationException("Autocast scopes must be closed in the reverse order they were opened (use `using`).");
        Innermost = _outer;
        if (_cache is not null) lock (_cache) _cache.Clear();
    }
}
