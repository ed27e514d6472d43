namespace Engine.Methods.Pruning.DRPruning;

/// <summary>
/// torch.optim.LBFGS without a line search (the configuration DRPruning's scaling-law fit uses: lr 1, max_iter 20,
/// max_eval 25, tolerance_grad 1e-7, tolerance_change 1e-9, history 100), in f64. State persists across
/// <see cref="Step"/> calls exactly as torch keeps it in the optimizer's state, so k calls here are k
/// <c>optimizer.step(closure)</c> calls there.
/// </summary>
public sealed class Lbfgs
{
    private readonly double _lr, _tolGrad, _tolChange;
    private readonly int _maxIter, _maxEval, _history;
    private readonly List<double[]> _dirs = [], _steps = [];
    private readonly List<double> _ro = [];
    private double[]? _d, _prevGrad;
    private double _t, _hDiag = 1, _prevLoss;
    private int _nIter;

    public Lbfgs(double lr = 1, int maxIter = 20, int? maxEval = null, double toleranceGrad = 1e-7, double toleranceChange = 1e-9, int historySize = 100)
    {
        _lr = lr; _maxIter = maxIter; _maxEval = maxEval ?? maxIter * 5 / 4; _tolGrad = toleranceGrad; _tolChange = toleranceChange; _history = historySize;
    }

    /// <summary>
    /// One optimizer step on <paramref name="x"/> (updated in place); <paramref name="closure"/> returns the objective
    /// at x and writes its gradient. Returns the objective at x before the step (torch returns orig_loss).
    /// </summary>
    public double Step(double[] x, Func<double[], double[], double> closure)
    {
        int n = x.Length;
        var grad = new double[n];
        double origLoss = closure(x, grad), loss = origLoss;
        int currentEvals = 1;
        if (MaxAbs(grad) <= _tolGrad) return origLoss;
        var d = _d; double t = _t;
        int iter = 0;
        while (iter < _maxIter)
        {
            iter++; _nIter++;
            if (_nIter == 1)
            {
                d = grad.Select(g => -g).ToArray();
                _dirs.Clear(); _steps.Clear(); _ro.Clear(); _hDiag = 1;
            }
            else
            {
                var y = new double[n]; var s = new double[n];
                for (int i = 0; i < n; i++) { y[i] = grad[i] - _prevGrad![i]; s[i] = d![i] * t; }
                double ys = Dot(y, s);
                if (ys > 1e-10)
                {
                    if (_dirs.Count == _history) { _dirs.RemoveAt(0); _steps.RemoveAt(0); _ro.RemoveAt(0); }
                    _dirs.Add(y); _steps.Add(s); _ro.Add(1.0 / ys);
                    _hDiag = ys / Dot(y, y);
                }
                int m = _dirs.Count;
                var al = new double[m];
                var q = grad.Select(g => -g).ToArray();
                for (int i = m - 1; i >= 0; i--)
                {
                    al[i] = Dot(_steps[i], q) * _ro[i];
                    for (int j = 0; j < n; j++) q[j] -= al[i] * _dirs[i][j];
                }
                var r = q.Select(v => v * _hDiag).ToArray();
                for (int i = 0; i < m; i++)
                {
                    double be = Dot(_dirs[i], r) * _ro[i];
                    for (int j = 0; j < n; j++) r[j] += (al[i] - be) * _steps[i][j];
                }
                d = r;
            }
            _prevGrad = (double[])grad.Clone();
            _prevLoss = loss;
            t = _nIter == 1 ? Math.Min(1.0, 1.0 / grad.Sum(Math.Abs)) * _lr : _lr;
            double gtd = Dot(grad, d!);
            if (gtd > -_tolChange) break;
            int lsEvals = 0;
            for (int i = 0; i < n; i++) x[i] += t * d![i];
            bool optimal = false;
            if (iter != _maxIter)
            {
                loss = closure(x, grad);
                optimal = MaxAbs(grad) <= _tolGrad;
                lsEvals = 1;
            }
            currentEvals += lsEvals;
            if (iter == _maxIter) break;
            if (currentEvals >= _maxEval) break;
            if (optimal) break;
            if (d!.Max(v => Math.Abs(v * t)) <= _tolChange) break;
            if (Math.Abs(loss - _prevLoss) < _tolChange) break;
        }
        _d = d; _t = t;
        return origLoss;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double MaxAbs(double[] a) => a.Length == 0 ? 0 : a.Max(Math.Abs);
}
