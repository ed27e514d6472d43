using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Numerics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// Fused multiply-add and C-tile store helpers for the microkernels, generic over float/double; the typeof checks fold
/// away at JIT time so each specialisation is a single vfmadd instruction.
/// </summary>
internal static unsafe class VFma
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MulAdd<T>(Vector512<T> a, Vector512<T> b, Vector512<T> c) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Avx512F.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Avx512F.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MulAdd<T>(Vector256<T> a, Vector256<T> b, Vector256<T> c) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Fma.MultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>();
        if (typeof(T) == typeof(double)) return Fma.MultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
        return a * b + c;
    }

    /// <summary>Portable path: plain multiply-add, since Vector&lt;T&gt; may run where no FMA instruction exists.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> MulAdd<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged => a * b + c;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(T* p, Vector512<T> v) where T : unmanaged => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(T* p, Vector256<T> v) where T : unmanaged => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<T>(T* p, Vector<T> v) where T : unmanaged => Unsafe.WriteUnaligned(p, v);

    /// <summary>p = acc·alpha + beta·p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Update<T>(T* p, Vector512<T> acc, Vector512<T> alpha, Vector512<T> beta) where T : unmanaged
        => MulAdd(acc, alpha, Vector512.Load(p) * beta).Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Update<T>(T* p, Vector256<T> acc, Vector256<T> alpha, Vector256<T> beta) where T : unmanaged
        => MulAdd(acc, alpha, Vector256.Load(p) * beta).Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Update<T>(T* p, Vector<T> acc, Vector<T> alpha, Vector<T> beta) where T : unmanaged
        => Unsafe.WriteUnaligned(p, acc * alpha + Unsafe.ReadUnaligned<Vector<T>>(p) * beta);
}
