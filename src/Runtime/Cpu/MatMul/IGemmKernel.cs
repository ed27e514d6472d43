using System.Numerics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// A register-blocked microkernel: C[MR×NR] (row stride ldc) = alpha·Ã·B̃ + beta·C over kc steps, where Ã is a packed
/// MR-row panel (kc groups of MR values) and B̃ a packed NR-column panel (kc rows of NR values). beta = 0 never reads C.
/// Static abstract so the driver is specialised per kernel and the call inlines into straight-line code.
/// </summary>
internal unsafe interface IGemmKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract bool IsSupported { get; }
    static abstract int MR { get; }
    static abstract int NR { get; }
    static abstract void Run(int kc, T* a, T* b, T* c, nint ldc, T alpha, T beta);
}

/// <summary>Which microkernel family to use; Auto picks the widest the CPU accelerates. Others exist for tests.</summary>
internal enum GemmIsa { Auto, Avx512, Avx2, Portable }
