using Engine.Runtime.Cuda;
using Engine.Runtime.Cuda.Native;

namespace Engine.Tests.Cuda;

/// <summary>Library probing for the new pieces, in this (non-emulated) process.</summary>
public class CudaProbingTests
{
    /// <summary>cuBLASLt either loads, or the failure names every soname it tried and how to point at CUDA.</summary>
    [Fact]
    public void CublasLtLoadsOrSaysWhatWasTried()
    {
        CudaLibraries.EnsureResolver();
        if (CudaLibraries.TryLoad("cublasLt", out var h, out var error))
        {
            Assert.NotEqual(IntPtr.Zero, h);
            Assert.Contains("cublasLt", CudaLibraries.Path_("cublasLt"), StringComparison.OrdinalIgnoreCase);
            return;
        }
        foreach (var name in new[] { "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11" }) Assert.Contains(name, error);
        Assert.Contains("CUDA_PATH", error);
    }

    [Theory]
    [InlineData(0x7f0000000000UL, 256)]
    [InlineData(0x7f0000000100UL, 256)]
    [InlineData(0x7f0000000080UL, 128)]
    [InlineData(0x7f0000000042UL, 2)]
    [InlineData(0x7f0000000013UL, 1)]
    public void CublasLtHeuristicIsToldTheRealAlignment(ulong address, int expected) => Assert.Equal(expected, CudaBlasLt.AlignmentOf(address));
}
