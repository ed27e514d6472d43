using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Runtime.Cpu;

/// <summary>The fused AdamW update.</summary>
internal static unsafe class CpuAdamW
{
    /// <summary>
    /// torch.optim.AdamW (single-tensor path) element by element, scalars prepared in f64 as torch does in Python:
    /// p ·= 1 − lr·wd; m = lerp(m, g, 1−β1); v = β2·v + (1−β2)·g²; p −= (lr/bc1)·m / (√v/√bc2 + eps).
    /// </summary>
    public static void Step<T>(T* p, T* g, T* m, T* v, long n, double lr, double beta1, double beta2, double eps, double weightDecay, long step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
        T decay = T.CreateTruncating(1 - lr * weightDecay);
        T w1 = T.CreateTruncating(1 - beta1);
        T b2 = T.CreateTruncating(beta2), w2 = T.CreateTruncating(1 - beta2);
        T stepSize = T.CreateTruncating(lr / bc1), bc2Sqrt = T.CreateTruncating(Math.Sqrt(bc2)), epsT = T.CreateTruncating(eps);
        // torch's lerp(m, g, w) is m + w·(g − m) for |w| < ½ and g − (g − m)·(1 − w) otherwise.
        bool lerpFromStart = Math.Abs(1 - beta1) < 0.5;
        T oneMinusW1 = T.One - w1;
        bool applyDecay = weightDecay != 0;

        CpuChunks.For(n, (start, len) =>
        {
            T* pp = p + start, gp = g + start, mp = m + start, vp = v + start;
            int i = 0;
            if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            {
                var vDecay = new Vector<T>(decay); var vW1 = new Vector<T>(w1); var vOneMinusW1 = new Vector<T>(oneMinusW1);
                var vB2 = new Vector<T>(b2); var vW2 = new Vector<T>(w2); var vStep = new Vector<T>(stepSize);
                var vBc2 = new Vector<T>(bc2Sqrt); var vEps = new Vector<T>(epsT);
                for (; i + Vector<T>.Count <= len; i += Vector<T>.Count)
                {
                    var pv = Vector.Load(pp + i); var gv = Vector.Load(gp + i);
                    var mv = Vector.Load(mp + i); var vv = Vector.Load(vp + i);
                    if (applyDecay) pv *= vDecay;
                    mv = lerpFromStart ? mv + vW1 * (gv - mv) : gv - (gv - mv) * vOneMinusW1;
                    vv = vv * vB2 + gv * gv * vW2;
                    var denom = Vector.SquareRoot(vv) / vBc2 + vEps;
                    pv -= vStep * (mv / denom);
                    pv.Store(pp + i); mv.Store(mp + i); vv.Store(vp + i);
                }
            }
            for (; i < len; i++)
            {
                T pv = pp[i], gv = gp[i], mv = mp[i], vv = vp[i];
                if (applyDecay) pv *= decay;
                mv = lerpFromStart ? mv + w1 * (gv - mv) : gv - (gv - mv) * oneMinusW1;
                vv = vv * b2 + gv * gv * w2;
                T denom = T.Sqrt(vv) / bc2Sqrt + epsT;
                pv -= stepSize * (mv / denom);
                pp[i] = pv; mp[i] = mv; vp[i] = vv;
            }
        });
    }
}
