#!/usr/bin/env python3
"""Fits the binary32 erf approximation of Sources/_NNKernels/Transformer.c and checks it.

|x| < 1: erf(x) = x * P(x^2) (P of degree 6); |x| >= 1: 1 - exp(Q(|x|)) (Q of degree 9, a fit of
log(erfc) on [1, 4]). Prints the coefficients (lowest degree first) and the worst error of a
binary32 evaluation against math.erf. Needs numpy. Not run in CI.
"""
import numpy as np, math
from numpy.polynomial import chebyshev as C, polynomial as P
f=np.float32
# small: erf(x)/x = p(s), s=x^2 in [0,1]
s=np.cos(np.pi*(np.arange(2000)+0.5)/2000)*0.5+0.5
x=np.sqrt(s); y=np.array([math.erf(v)/v if v>0 else 2/math.sqrt(math.pi) for v in x])
for deg in [5,6,7]:
    c=P.polyfit(s,y,deg); print('small',deg,np.max(np.abs(P.polyval(s,c)-y)/y))
cs=P.polyfit(s,y,6)
# large: log(erfc(t)) on [1, 4]
t=np.cos(np.pi*(np.arange(4000)+0.5)/4000)*1.5+2.5
yl=np.array([math.log(math.erfc(v)) for v in t])
for deg in [7,8,9,10]:
    c=P.polyfit(t,yl,deg); print('large',deg,np.max(np.abs(P.polyval(t,c)-yl)))
cl=P.polyfit(t,yl,9)
print('cs',[float(v) for v in cs]); print('cl',[float(v) for v in cl])
def horner(c,x):
    r=f(c[-1])
    for v in c[-2::-1]: r=f(r*x+f(v))
    return r
def erff(a):
    a=f(a); t=f(abs(a))
    if t<1:
        return f(a*horner(cs,f(a*a)))
    if t>=4: return f(math.copysign(1,a))
    r=f(1)-f(np.exp(np.float64(horner(cl,t))))
    return f(math.copysign(r,a))
xs=np.concatenate([np.linspace(-6,6,120001),np.linspace(-1.01,1.01,20001)])
worst=0;wx=0;wa=0
for xv in xs:
    xv=f(xv); e=math.erf(float(xv)); g=float(erff(xv))
    ulp=float(np.spacing(f(abs(e)))) if e!=0 else 1e-45
    err=abs(g-e)/ulp; wa=max(wa,abs(g-e))
    if err>worst: worst=err;wx=xv
print("max ulp",worst,"at",wx,'max abs',wa)
