namespace Engine.Runtime.Cuda;

/// <summary>
/// One kernel of kernels/*.cu as its generated launcher knows it: file, function name, and the block size its
/// <c>__launch_bounds__</c> states. Each gets a small id, so a device finds its loaded function and counts its launches
/// by array index (no dictionary, no allocation per launch).
/// </summary>
internal sealed class CudaKernel
{
    private static int _count;

    public string File { get; }
    public string Name { get; }
    /// <summary>Threads per block (the kernel's <c>__launch_bounds__</c>): what a launch uses unless its grid asks for fewer.</summary>
    public uint Block { get; }
    public int Id { get; }

    public CudaKernel(string file, string name, uint block)
    {
        File = file; Name = name; Block = block;
        Id = Interlocked.Increment(ref _count) - 1;
    }

    public override string ToString() => $"kernels/{File}:{Name}";
}

/// <summary>
/// The grid of a launch, in the terms the call site knows (elements, rows, tiles); the block comes from the kernel
/// (<see cref="CudaKernel.Block"/>) unless <see cref="Threads"/> asks for fewer.
/// </summary>
internal readonly struct Grid
{
    private enum Kind : byte { Blocks, Stride, Cover }

    private readonly Kind _kind;
    private readonly long _x;
    private readonly uint _y, _z, _threads;

    public uint SharedBytes { get; }

    private Grid(Kind kind, long x, uint y, uint z, uint threads = 0, uint shared = 0)
    {
        _kind = kind; _x = x; _y = y; _z = z; _threads = threads; SharedBytes = shared;
    }

    /// <summary>A grid-stride loop over n items: ⌈n / block⌉ blocks, at most 32 per multiprocessor, at least one.</summary>
    public static Grid Elements(long n) => new(Kind.Stride, n, 1, 1);

    /// <summary>One thread per item of n (no loop): ⌈n / block⌉ blocks in x, times <paramref name="y"/> and <paramref name="z"/>.</summary>
    public static Grid Cover(long n, uint y = 1, uint z = 1) => new(Kind.Cover, n, y, z);

    /// <summary>Exactly x·y·z blocks: one per row, per tile, per (query, head, batch)...</summary>
    public static Grid Blocks(long x, uint y = 1, uint z = 1) => new(Kind.Blocks, x, y, z);

    /// <summary>This grid with <paramref name="threads"/> per block instead of the kernel's own block size (at most that).</summary>
    public Grid Threads(uint threads) => new(_kind, _x, _y, _z, threads, SharedBytes);

    /// <summary>This grid with dynamic shared memory.</summary>
    public Grid Shared(uint bytes) => new(_kind, _x, _y, _z, _threads, bytes);

    /// <summary>Grid dims and threads per block for <paramref name="kernel"/> on a device with <paramref name="multiprocessors"/> SMs.</summary>
    public (uint gx, uint gy, uint gz, uint threads) Resolve(CudaKernel kernel, int multiprocessors)
    {
        uint threads = _threads == 0 ? kernel.Block : _threads;
        if (threads > kernel.Block)
            throw new ArgumentException($"{kernel}: {threads} threads per block, but its __launch_bounds__ allow at most {kernel.Block}.");
        long gx = _kind switch
        {
            Kind.Stride => Math.Clamp((_x + threads - 1) / threads, 1, multiprocessors * 32L),
            Kind.Cover => (_x + threads - 1) / threads,
            _ => _x,
        };
        if (gx < 1 || gx > int.MaxValue || _y < 1 || _z < 1)
            throw new ArgumentException($"{kernel}: grid ({gx}, {_y}, {_z}) is empty or too large.");
        return ((uint)gx, _y, _z, threads);
    }
}
