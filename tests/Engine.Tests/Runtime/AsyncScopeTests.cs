using System.Runtime.CompilerServices;
using Engine.Runtime;

namespace Engine.Tests.Runtime;

/// <summary>No-grad and autocast scopes follow the async flow: they hold after an await that resumes on another thread.</summary>
public class AsyncScopeTests
{
    /// <summary>An awaitable whose continuation always runs on a new thread (the execution context flows, thread statics do not).</summary>
    private readonly struct HopToNewThread : INotifyCompletion
    {
        public HopToNewThread GetAwaiter() => this;
        public bool IsCompleted => false;
        public void OnCompleted(Action continuation) => new Thread(() => continuation()) { IsBackground = true }.Start();
        public void GetResult() { }
    }

    [Fact]
    public async Task NoGradHoldsAcrossAnAwaitThatChangesThread()
    {
        var x = Tensor.FromArray([1f, -2f, 3f], 3);
        x.RequiresGrad = true;
        int before = Environment.CurrentManagedThreadId;
        using (Autograd.NoGrad())
        {
            await new HopToNewThread();
            Assert.NotEqual(before, Environment.CurrentManagedThreadId);
            Assert.False(Autograd.IsEnabled);
            Assert.False(Ops.Scale(x, 2).RequiresGrad);
        }
        Assert.True(Autograd.IsEnabled);
        Assert.True(Ops.Scale(x, 2).RequiresGrad);
    }

    [Fact]
    public async Task AutocastHoldsAcrossAnAwaitThatChangesThread()
    {
        var a = Tensor.FromArray([1.001f, 2f, 3f, 4f], 2, 2);
        var b = Tensor.FromArray([0.5f, -1f, 0.25f, 2.003f], 2, 2);
        var exact = Ops.MatMul(a, b).ToArray<float>();
        int before = Environment.CurrentManagedThreadId;
        float[] inside;
        using (Autocast.Enable(DType.BF16))
        {
            await new HopToNewThread();
            Assert.NotEqual(before, Environment.CurrentManagedThreadId);
            Assert.Equal(DType.BF16, Autocast.ActiveDType);
            inside = Ops.MatMul(a, b).ToArray<float>();
        }
        Assert.Null(Autocast.ActiveDType);
        // bf16 operands lose 1.001 → 1.0 and 2.003 → 2.0: the product under the scope differs from the f32 one.
        Assert.NotEqual(exact, inside);
        Assert.Equal(exact, Ops.MatMul(a, b).ToArray<float>());
    }

    [Fact]
    public void WorkStartedInsideAScopeInheritsIt()
    {
        bool enabledInside = true;
        using (Autograd.NoGrad())
        {
            var t = new Thread(() => enabledInside = Autograd.IsEnabled);
            t.Start();
            t.Join();
        }
        Assert.False(enabledInside);
    }
}
