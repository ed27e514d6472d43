using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Runtime.Cpu;

/// <summary>
/// The few vector operations the small-M GEMM needs, abstracted over the register width so one kernel body serves
/// AVX-512, AVX2 and the portable Vector&lt;T&gt;; implementations are structs, so the JIT specialises and inlines each.
/// </summary>
internal unsafe interface ISkinnyVec<TV, T> where TV : struct where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract int Count { get; }
    static abstract TV Load(T* p);
    static abstract TV Broadcast(T x);
    static abstract TV MulAdd(TV a, TV b, TV c);
    static abstract void Store(T* p, TV v);
    /// <summary>Lanes added in a fixed order (never the hardware's choice), so results are the same on every run.</summary>
    static abstract T Sum(TV v);
}

internal readonly unsafe struct SkinnyVec512<T> : ISkinnyVec<Vector512<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static bool IsSupported => GemmKernelAvx512<T>.IsSupported;
    public static int Count => Vector512<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Load(T* p) => Vector512.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> Broadcast(T x) => Vector512.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<T> MulAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) => VFma.MulAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(T* p, Vector512<T> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector512<T> v) => SkinnyVec256<T>.Sum(v.GetLower() + v.GetUpper());
}

internal readonly unsafe struct SkinnyVec256<T> : ISkinnyVec<Vector256<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static bool IsSupported => GemmKernelAvx2<T>.IsSupported;
    public static int Count => Vector256<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Load(T* p) => Vector256.Load(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> Broadcast(T x) => Vector256.Create(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<T> MulAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => VFma.MulAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(T* p, Vector256<T> v) => v.Store(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector256<T> v)
    {
        var h = v.GetLower() + v.GetUpper();
        T s = h.GetElement(0);
        for (int l = 1; l < Vector128<T>.Count; l++) s += h.GetElement(l);
        return s;
    }
}

internal readonly unsafe struct SkinnyVecPortable<T> : ISkinnyVec<Vector<T>, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Count => Vector<T>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<T> Load(T* p) => Unsafe.ReadUnaligned<Vector<T>>(p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<T> Broadcast(T x) => new(x);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector<T> MulAdd(Vector<T> a, Vector<T> b, Vector<T> c) => VFma.MulAdd(a, b, c);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(T* p, Vector<T> v) => Unsafe.WriteUnaligned(p, v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector<T> v)
    {
        T s = v[0];
        for (int l = 1; l < Vector<T>.Count; l++) s += v[l];
        return s;
    }
}
