using Engine.Runtime.Cuda;

namespace Engine.Tests.Cuda;

/// <summary>
/// The pool's stream-ordering rule, against a fake device: a fake event completes only when the test says the
/// work before it has finished, so "reuse before completion" is observable without a GPU.
/// </summary>
public class CudaMemoryPoolStreamTests
{
    private sealed class FakeDriver(long capacity = long.MaxValue) : IPoolDriver
    {
        private ulong _next = 0x1000;
        private long _nextEvent = 1;
        public readonly HashSet<IntPtr> Completed = [];
        public readonly Dictionary<IntPtr, IntPtr> EventStream = [];
        public readonly Dictionary<ulong, long> Live = [];
        public long Used;
        public int Syncs;
        public IntPtr Current = 11;

        public string Name => "fake";
        public IntPtr CurrentStream => Current;
        public bool TryAlloc(long bytes, out ulong address)
        {
            address = 0;
            if (Used + bytes > capacity) return false;
            address = _next; _next += (ulong)bytes; Used += bytes; Live[address] = bytes;
            return true;
        }
        public void Free(ulong address) { Assert.True(Live.Remove(address, out var n), "double cuMemFree"); Used -= n; }
        public IntPtr RecordEvent(IntPtr stream) { var e = (IntPtr)_nextEvent++; EventStream[e] = stream; return e; }
        public bool EventCompleted(IntPtr ev) => Completed.Contains(ev);
        public void SynchronizeEvent(IntPtr ev) { Syncs++; Completed.Add(ev); }
        public void DestroyEvent(IntPtr ev) { }
        public (long free, long total) MemInfo() => (capacity - Used, capacity);
        /// <summary>All work queued so far on <paramref name="stream"/> has finished.</summary>
        public void Drain(IntPtr stream) { foreach (var (e, s) in EventStream) if (s == stream) Completed.Add(e); }
        public void Dispose() { }
    }

    private static readonly IntPtr S = 11, T = 22;

    [Fact]
    public void BlockFreedOnAStreamIsReusedAtOnceOnThatStream()
    {
        var fake = new FakeDriver();
        var pool = new CudaMemoryPool(fake);
        var (a, size) = pool.Allocate(3000, S);
        pool.Free(a, size, S);
        var (b, _) = pool.Allocate(2900, S); // same size class (3072), event still pending
        Assert.Equal(a, b);
        Assert.Equal(1, pool.DriverAllocations);
    }

    [Fact]
    public void OtherStreamWaitsForTheFreeEvent()
    {
        var fake = new FakeDriver();
        var pool = new CudaMemoryPool(fake);
        var (a, size) = pool.Allocate(5000, S);
        pool.Free(a, size, S);
        var (b, sb) = pool.Allocate(5000, T);
        Assert.NotEqual(a, b);               // S's work may still use a: T must not get it
        Assert.Equal(2, pool.DriverAllocations);
        pool.Free(b, sb, T);

        fake.Drain(S);                        // the event recorded at a's free has completed
        var (c, _) = pool.Allocate(5000, T);
        // T's own block b is preferred (rule 1) over a...
        Assert.Equal(b, c);
        var (d, _) = pool.Allocate(5000, T);
        Assert.Equal(a, d);                   // ...then a, now safe (rule 2)
        Assert.Equal(1, pool.CrossStreamReuses);
        Assert.Equal(2, pool.DriverAllocations);
    }

    [Fact]
    public void NewestSameStreamBlockIsPreferredAndSizeClassesDoNotMix()
    {
        var fake = new FakeDriver();
        var pool = new CudaMemoryPool(fake);
        var x = pool.Allocate(700, S); var y = pool.Allocate(700, S); var z = pool.Allocate(2000, S);
        pool.Free(x.address, x.size, S); pool.Free(y.address, y.size, S); pool.Free(z.address, z.size, S);
        Assert.Equal(y.address, pool.Allocate(600, S).address); // LIFO within the class: warmest block first
        Assert.Equal(x.address, pool.Allocate(1024, S).address);
        Assert.Equal(z.address, pool.Allocate(1537, S).address); // 2048 class
    }

    [Fact]
    public void InUsePeakAndCachedAreReported()
    {
        var fake = new FakeDriver();
        var pool = new CudaMemoryPool(fake);
        var a = pool.Allocate(1 << 20, S);            // 1 MiB exactly
        var b = pool.Allocate((1 << 20) + 1, S);      // rounds to 2 MiB
        Assert.Equal(3L << 20, pool.InUse);
        pool.Free(a.address, a.size, S);
        Assert.Equal(2L << 20, pool.InUse);
        Assert.Equal(3L << 20, pool.Peak);
        Assert.Equal(1L << 20, pool.Cached);
        pool.ResetPeak();
        Assert.Equal(2L << 20, pool.Peak);
        pool.Free(b.address, b.size, S);
        pool.ReleaseCache();
        Assert.Equal(0, pool.Cached);
        Assert.Empty(fake.Live);
        Assert.Equal(2, fake.Syncs);                  // each cached block's pending work was waited for before cuMemFree
    }

    [Fact]
    public void OutOfMemoryReleasesTheCacheThenFailsWithTheNumbers()
    {
        var fake = new FakeDriver(capacity: 8192);
        var pool = new CudaMemoryPool(fake);
        var a = pool.Allocate(4096, S);
        pool.Free(a.address, a.size, S);
        var b = pool.Allocate(6000, T);                // 6144 does not fit beside the cached 4096 → cache released, retried
        Assert.Equal(6144, b.size);
        Assert.Equal(0, pool.Cached);
        var e = Assert.Throws<OutOfMemoryException>(() => pool.Allocate(4000, T));
        Assert.Contains("asked 4,000 bytes", e.Message);
        Assert.Contains("engine holds 6,144", e.Message);
        Assert.Contains("device free 2,048 of 8,192", e.Message);
    }

    [Fact]
    public void BlocksFreedDuringCaptureBelongToTheGraphUntilReleased()
    {
        var fake = new FakeDriver();
        var pool = new CudaMemoryPool(fake);
        pool.BeginCapture(S);
        var a = pool.Allocate(1000, S);
        pool.Free(a.address, a.size, S);               // freed inside the captured step: a replay still writes it
        var b = pool.Allocate(1000, S);
        Assert.NotEqual(a.address, b.address);         // so it is not handed out again during capture
        var other = pool.Allocate(1000, T);
        pool.Free(other.address, other.size, T);       // another stream is unaffected
        Assert.Equal(1024, pool.Cached);
        var held = pool.EndCapture();
        Assert.Equal([(a.address, a.size)], held);
        var c = pool.Allocate(1000, S);                 // after capture, still the graph's: a is not reused
        Assert.NotEqual(a.address, c.address);
        pool.ReleaseCaptured(held, S);
        Assert.Equal(a.address, pool.Allocate(1000, S).address);
    }

    [Fact]
    public void BlocksOfADestroyedStreamAreFreeForEveryStream()
    {
        var fake = new FakeDriver();
        var pool = new CudaMemoryPool(fake);
        var a = pool.Allocate(2000, S);
        pool.Free(a.address, a.size, S);               // cached with a pending event
        var b = pool.Allocate(2000, S);
        pool.StreamDestroyed(S);                       // S synchronized and destroyed while b is still held
        pool.Free(b.address, b.size, S);               // a late free on the dead handle records nothing
        Assert.Equal(b.address, pool.Allocate(2000, T).address); // no event to wait for
        Assert.Equal(1, pool.DriverAllocations);
        Assert.DoesNotContain(fake.EventStream.Values.Skip(1), s => s == S); // only the first free recorded on S
        pool.StreamCreated(S);                         // a new stream reusing the handle value is live again
        var c = pool.Allocate(2000, S);
        pool.Free(c.address, c.size, S);
        Assert.Equal(S, fake.EventStream.Values.Last());
    }

    [Fact]
    public void DefaultStreamComesFromTheDriver()
    {
        var fake = new FakeDriver { Current = T };
        var pool = new CudaMemoryPool(fake);
        var a = pool.Allocate(100);
        pool.Free(a.address, a.size);                  // freed on T (the current stream)
        Assert.NotEqual(a.address, pool.Allocate(100, S).address);
        Assert.Equal(a.address, pool.Allocate(100, T).address);
    }
}
