#!/usr/bin/env python3
"""Step 2 (loss -> accuracy) with two link forms and a holdout-chosen 'auto': how well does each
predict the target's accuracy, per task and on the 16-task average, at the target's TRUE loss and
at the loss Sweep PREDICTED for it (step 1)?

Reads the 18 mlfoundations cases that `prepare.py prepare` wrote (mlf-*.csv, mlf-*.truth.json) and,
for the predicted loss, the mlf-*.fit.json that backtest.sh wrote (a case without one is evaluated
at the true loss only). Needs numpy and scipy (a cross-check, not part of Sweep); ~3 minutes on 2 cores.

  python3 Benchmarks/ladders/step2_forms.py [Benchmarks/ladders/.data]

Forms, all fitted by least squares with a Huber loss (f_scale 0.05) from a grid of starts:
  sigmoid      acc = a/(1+exp(-k(L-L0))) + b, plateaus b and a+b in [0,1] (Sweep's form);
  exponential  acc = 1 - eps + kk*exp(-gamma*L), eps in [0,1], kk >= 0, gamma in [0,20]
               (Gadre et al. 2024), predictions clipped to [0,1];
  auto         per (case, task): fit each form on the runs below the ladder's largest parameter
               count, score MAE on the largest-parameter runs, refit the better (tie: sigmoid) on all.
"""
import csv, glob, json, os, sys, time, collections, warnings, numpy as np
from multiprocessing import Pool
from scipy.optimize import least_squares
warnings.filterwarnings('ignore')
D = sys.argv[1] if len(sys.argv) > 1 else 'Benchmarks/ladders/.data'
H = 0.05  # Huber f_scale

def hcost(r):
    a = np.abs(r); return np.sum(np.where(a <= H, .5 * r * r, H * (a - H / 2)))

def refine(fun, starts, lb, ub, L, A, keep=12):  # least_squares from the `keep` best starts
    P = np.clip(np.array(starts, float), lb, np.minimum(ub, 1e12))
    c = [hcost(fun(p, L) - A) for p in P]; best = None
    for p in P[np.argsort(c)[:keep]]:
        r = least_squares(lambda q: fun(q, L) - A, p, bounds=(lb, ub), loss='huber', f_scale=H)
        if best is None or r.cost < best.cost: best = r
    return best.x

def sig(p, L):  # parameterised by the plateaus (lo = b, hi = a+b) so both are box-bounded
    lo, hi, k, L0 = p; return (hi - lo) / (1 + np.exp(np.clip(-k * (L - L0), -500, 500))) + lo
def fit_sig(L, A):
    st = [s for L0 in np.linspace(L.min(), L.max(), 5) for k in [-.5, -1.5, -4, -10, -25]
          for s in ([A.min(), A.max(), k, L0], [max(A.min() - .05, 0), min(A.max() + .15, 1), k, L0])]
    return refine(sig, st, np.array([0, 0, -100, L.min() - 5]), np.array([1, 1, 100, L.max() + 5]), L, A)

def gad(p, L):  # error = eps - kk*exp(-gamma*L)
    eps, kk, g = p; return 1 - eps + kk * np.exp(-g * L)
def fit_gad(L, A):  # kk capped at 1e6 first, then refit with kk unbounded from that and the grid
    st = [[min(e, 1), max(A.max() - (1 - e), 1e-3) * np.exp(g * L.min()), g]
          for e in [1 - A.min(), 1 - A.min() + .05, 1 - A.min() + .15] for g in [.1, .3, .6, 1, 1.5, 2.5, 4, 6]]
    x = refine(gad, st + [[.8, 1e-3, .1], [.75, 1, 1]], np.array([0, 0, 0.]), np.array([1, 1e6, 20.]), L, A)
    return refine(gad, [x] + st, np.array([0, 0, 0.]), np.array([1, np.inf, 20.]), L, A)

FORMS = {'sig': (sig, fit_sig), 'exp': (gad, fit_gad)}

def job(a):  # one (case, task): errors in points at true / predicted loss per form, and auto's choice
    L, A, P, at, lt, lp = a; out = {}; hold = P == P.max(); hm = {}
    for f, (fn, fit) in FORMS.items():
        x = fit(L, A); pr = lambda l: (float(np.clip(fn(x, l), 0, 1)) - at) * 100
        out[f] = (pr(lt), pr(lp) if lp is not None else None)
        hm[f] = np.mean(np.abs(np.clip(fn(fit(L[~hold], A[~hold]), L[hold]), 0, 1) - A[hold]))
    ch = 'exp' if hm['exp'] < hm['sig'] else 'sig'
    out['auto'] = out[ch]; out['choice'] = ch
    return out

def load():
    args, keys, missing = [], [], []
    for fn in sorted(glob.glob(D + '/mlf-*.csv')):
        name = os.path.basename(fn)[4:-4]; truth = json.load(open(fn[:-4] + '.truth.json'))
        runs, loss, par = collections.defaultdict(dict), {}, {}
        for r in csv.DictReader(open(fn)):
            runs[r['run']][r['task']] = float(r['acc']); loss[r['run']] = float(r['loss']); par[r['run']] = int(r['params'])
        try: lp = json.load(open(fn[:-4] + '.fit.json'))['tasks'][0]['fit']['predictions'][0]['loss']['value']
        except (OSError, KeyError, IndexError, ValueError): lp = None; missing.append(name)
        tasks = sorted(truth['acc'])
        for t in tasks + ['AVG']:
            rr = [r for r in runs if all(x in runs[r] for x in (tasks if t == 'AVG' else [t]))]
            A = [np.mean([runs[r][x] for x in tasks]) if t == 'AVG' else runs[r][t] for r in rr]
            at = np.mean([truth['acc'][x] for x in tasks]) if t == 'AVG' else truth['acc'][t]
            args.append((np.array([loss[r] for r in rr]), np.array(A), np.array([par[r] for r in rr]), at, truth['loss'], lp))
            keys.append((name, t))
    return args, keys, missing

if __name__ == '__main__':
    t0 = time.time(); args, keys, missing = load()
    if missing: print('no fit.json (true loss only) for:', ', '.join(missing))
    with Pool(2) as pool: R = pool.map(job, args, chunksize=4)
    R = [(n, t, o) for (n, t), o in zip(keys, R)]
    def st(rows, f, k):
        e = np.array([abs(o[f][k]) for o in rows if o[f][k] is not None])
        return (np.median(e), (e <= 2).sum(), e.mean(), len(e)) if len(e) else (np.nan, 0, np.nan, 0)
    print('%-15s %-5s | %-27s | %-19s' % ('set', 'form', 'TRUE loss: med  n<=2  mean', 'PRED loss: med n<=2'))
    for label, sel in [('per-task', lambda t: t != 'AVG'), ('16-task avg', lambda t: t == 'AVG')]:
        rows = [o for n, t, o in R if sel(t)]
        for f in ['sig', 'exp', 'auto']:
            a, b = st(rows, f, 0), st(rows, f, 1)
            print('%-15s %-5s | %6.2f %4d/%-4d %6.2f | %6.2f %4d/%-4d' % (label, f, a[0], a[1], a[3], a[2], b[0], b[1], b[3]))
    print('\nmedian |err| (points) over cases   true: sig   exp  auto | pred: sig   exp  auto | auto=exp')
    for t in [t for n, t, o in R if n == R[0][0]]:
        rows = [o for n, tt, o in R if tt == t]
        m = [st(rows, f, k)[0] for k in (0, 1) for f in ('sig', 'exp', 'auto')]
        print('%-28s %12.1f %5.1f %5.1f | %10.1f %5.1f %5.1f | %2d/%d' % ((t,) + tuple(m) + (sum(o['choice'] == 'exp' for o in rows), len(rows))))
    for label, sel in [('per-task', lambda t: t != 'AVG'), ('16-task avg', lambda t: t == 'AVG')]:
        print('auto chose (%s):' % label, dict(collections.Counter(o['choice'] for n, t, o in R if sel(t))))
    print('runtime %.0fs' % (time.time() - t0))
