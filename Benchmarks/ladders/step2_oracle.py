#!/usr/bin/env python3
"""Step 2 alone, given the target's TRUE loss: how well does a loss -> accuracy sigmoid fitted on
the ladder's points predict each task's accuracy at the target, with three forms of the sigmoid?

Isolates step 2 from step 1 (the loss law). Reads the mlfoundations cases that `prepare.py
prepare` wrote; needs numpy and scipy (a cross-check, not part of Sweep).

  python3 Benchmarks/ladders/step2_oracle.py [Benchmarks/ladders/.data]

Forms: free4 = a/(1+exp(-k(L-L0)))+b, all free in [0,1] (Sweep's form); chance+ceil = b fixed at
the task's chance accuracy, a free; chance,ceil1 = b at chance and a = 1-b.
"""
import csv, glob, json, sys, numpy as np, collections
from scipy.optimize import least_squares
CH={'arc_easy':.25,'arc_challenge':.25,'hellaswag':.25,'lambada_openai':0,'piqa':.5,'winogrande':.5,'copa':.5,'boolq':.5,
    'openbook_qa':.25,'commonsense_qa':.2,'mmlu':.25,'bigbench_qa_wikidata':0,'jeopardy':0,'squad':0,'winograd':.5,'siqa':1/3}
def fit4(L,A):
    best=None
    for L0 in np.percentile(L,[10,50,90]):
        for k in [-8,-3,-1]:
            x0=[max(A.max()-A.min(),.05),k,L0,A.min()]
            r=least_squares(lambda p: p[0]/(1+np.exp(-p[1]*(L-p[2])))+p[3]-A, x0, bounds=([0,-60,L.min()-5,0],[1,60,L.max()+5,1]), loss='huber', f_scale=0.02)
            if best is None or r.cost<best.cost: best=r
    p=best.x; return lambda l: min(1,max(0,p[0]/(1+np.exp(-p[1]*(l-p[2])))+p[3]))
def fitchance(L,A,c,ceil_free):
    best=None
    for L0 in np.percentile(L,[10,50,90]):
        for k in [-8,-3,-1]:
            if ceil_free:
                f=lambda p: p[0]/(1+np.exp(-p[1]*(L-p[2])))+c-A; x0=[min(1-c,.5),k,L0]; lb=[0,-60,L.min()-5]; ub=[1-c,60,L.max()+5]
            else:
                f=lambda p: (1-c)/(1+np.exp(-p[0]*(L-p[1])))+c-A; x0=[k,L0]; lb=[-60,L.min()-5]; ub=[60,L.max()+5]
            r=least_squares(f,x0,bounds=(lb,ub),loss='huber',f_scale=0.02)
            if best is None or r.cost<best.cost: best=r
    p=best.x
    if ceil_free: return lambda l: p[0]/(1+np.exp(-p[1]*(l-p[2])))+c
    return lambda l: (1-c)/(1+np.exp(-p[0]*(l-p[1])))+c
res=collections.defaultdict(list)
for f in sorted(glob.glob((sys.argv[1] if len(sys.argv) > 1 else 'Benchmarks/ladders/.data') + '/mlf-*.csv')):
    truth=json.load(open(f.replace('.csv','.truth.json')))
    rows=list(csv.DictReader(open(f)))
    for t in CH:
        L=np.array([float(r['loss']) for r in rows if r['task']==t]); A=np.array([float(r['acc']) for r in rows if r['task']==t])
        if len(L)<5: continue
        lt=truth['loss']; at=truth['acc'][t]
        for name,fn in [('free4',lambda: fit4(L,A)),('chance+ceil',lambda: fitchance(L,A,CH[t],True)),('chance,ceil1',lambda: fitchance(L,A,CH[t],False))]:
            try: pred=fn()(lt)
            except Exception as e: continue
            res[name].append((f.split('/')[-1][:-4],t,abs(pred-at)*100))
for name,v in res.items():
    e=np.array([x[2] for x in v]); print(name, 'n',len(e),'within2 %.1f%%'%(100*(e<=2).mean()),'median %.1f'%np.median(e),'mean %.1f'%e.mean())
    bytask=collections.defaultdict(list)
    for c,t,x in v: bytask[t].append(x)
    print('   ', ' '.join('%s:%.0f/%d'%(t[:8],np.median(x),sum(np.array(x)<=2)) for t,x in bytask.items()))
