#!/usr/bin/env python3
# Independent expected values for tests/unit/gateway/test_audit.c (RFC 9162 2.1
# with the RFC 6962 / CT test leaves), computed with hashlib only.
import hashlib, hmac
def H(b): return hashlib.sha256(b).digest()
def leaf(d): return H(b'\x00'+d)
def node(l,r): return H(b'\x01'+l+r)
def mth(D):
    n=len(D)
    if n==0: return H(b'')
    if n==1: return leaf(D[0])
    k=1
    while k*2<n: k*=2
    return node(mth(D[:k]),mth(D[k:]))
def path(m,D):
    n=len(D)
    if n<=1: return []
    k=1
    while k*2<n: k*=2
    if m<k: return path(m,D[:k])+[mth(D[k:])]
    return path(m-k,D[k:])+[mth(D[:k])]
def sub(m,D,b):
    n=len(D)
    if m==n: return [] if b else [mth(D)]
    k=1
    while k*2<n: k*=2
    if m<=k: return sub(m,D[:k],b)+[mth(D[k:])]
    return sub(m-k,D[k:],False)+[mth(D[:k])]
L=[b'',b'\x00',b'\x10',b'\x20\x21',b'\x30\x31',b'\x40\x41\x42\x43',bytes(range(0x50,0x58)),bytes(range(0x60,0x70))]
for n in range(0,9): print(n, mth(L[:n]).hex())
print("incl 2 of 7:", [p.hex() for p in path(2,L[:7])])
print("incl 5 of 8:", [p.hex() for p in path(5,L[:8])])
print("cons 3->7:", [p.hex() for p in sub(3,L[:7],True)])
print("cons 4->8:", [p.hex() for p in sub(4,L[:8],True)])
print("hmac:", hmac.new(bytes(range(32)), b"DE/123456", hashlib.sha256).hexdigest())
