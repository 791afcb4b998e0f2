#!/usr/bin/env python3
"""List the module-level imports between the files of src/ and report every import circle.

Each file under src/ is a module (foo/mod.rs -> foo). An import is any path in a `use`
item or written inline that starts with crate::, super:: or self:: and names another
module of the crate; it is resolved to the longest module path that exists."""
import os, re, sys
root = sys.argv[1] if len(sys.argv) > 1 else 'src'
mods = {}
for dirpath, _, files in os.walk(root):
    for f in files:
        if not f.endswith('.rs'): continue
        p = os.path.join(dirpath, f)
        rel = os.path.relpath(p, root)[:-3].split(os.sep)
        if rel[-1] == 'mod': rel = rel[:-1]
        if rel in (['lib'], ['main']): rel = []
        if rel and rel[0] == 'bin': continue
        mods['::'.join(rel)] = p
def strip(text):
    text = re.sub(r'//[^\n]*', '', text)
    return re.sub(r'/\*.*?\*/', '', text, flags=re.S)
def expand(prefix, body):
    # crate::a::{b, c::{d, e}} -> crate::a::b, crate::a::c::d, ...
    out = []
    depth = 0; cur = ''
    parts = []
    for ch in body:
        if ch == '{': depth += 1
        if ch == '}': depth -= 1
        if ch == ',' and depth == 0: parts.append(cur); cur = ''
        else: cur += ch
    parts.append(cur)
    for part in parts:
        part = part.strip()
        if not part: continue
        m = re.match(r'^([\w:]*?)::\{(.*)\}$', part, re.S)
        if m: out += expand(prefix + m.group(1) + '::', m.group(2))
        else: out.append(prefix + part.strip())
    return out
edges = {}
for name, path in mods.items():
    text = strip(open(path).read())
    me = name.split('::') if name else []
    here = me
    paths = []
    # The names a `use` binds (`use super::screens::{self, Screen}` binds `screens`), so that
    # an inline path starting with one (`screens::troubleshooting::show`) is followed too.
    aliases = {}
    for m in re.finditer(r'\buse\s+([^;]+);', text):
        for used in expand('', m.group(1)):
            pieces = re.split(r'\s+as\s+', used)
            used = pieces[0].strip()
            alias = pieces[1].strip() if len(pieces) > 1 else ''
            paths.append(used)
            segs = used.replace(' ', '').replace('\n', '').split('::')
            if segs[-1] == 'self': segs = segs[:-1]
            if len(segs) > 1 and segs[0] in ('crate', 'super', 'self'):
                aliases[alias or segs[-1]] = '::'.join(segs)
    paths += re.findall(r'\b((?:crate|super|self)(?:::\w+)+)', text)
    for m in re.finditer(r'(?<![\w:])(\w+)((?:::\w+)+)', text):
        if m.group(1) in aliases:
            paths.append(aliases[m.group(1)] + m.group(2))
    targets = set()
    for p in paths:
        segs = p.replace(' ', '').replace('\n', '').split('::')
        if segs[0] == 'crate': base = []; segs = segs[1:]
        elif segs[0] in ('super', 'self'):
            base = list(here)
            while segs and segs[0] in ('super', 'self'):
                if segs[0] == 'super': base = base[:-1]
                segs = segs[1:]
        else: continue
        full = base + segs
        for n in range(len(full), 0, -1):
            cand = '::'.join(full[:n])
            if cand in mods:
                # Edges to the module itself or to one of its ancestors (which declare it) are
                # not counted: a child naming its parent is how Rust modules nest.
                if cand != name and not (cand == '' or name.startswith(cand + '::')):
                    targets.add(cand)
                break
    edges[name] = targets
prefix = sys.argv[2] if len(sys.argv) > 2 else ''
for name in sorted(edges):
    if name.startswith(prefix) and name:
        print(f"{name} -> {', '.join(sorted(t for t in edges[name]))}")
# strongly connected components (Tarjan)
index = {}; low = {}; stack = []; on = set(); sccs = []; counter = [0]
sys.setrecursionlimit(10000)
def visit(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index: visit(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(sorted(comp))
for v in edges:
    if v not in index: visit(v)
print('import circles:', sccs if sccs else 'none')
