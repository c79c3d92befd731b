#!/usr/bin/env python3
"""Writes a maximum-algebraic-connectivity problem on a sparse random graph as a wirtinger problem
file whose Laplacian terms are a `{ files = [...] }` stack of Matrix Market edge Laplacians.

The graph: the cycle 0 – 1 – … – (n−1) – 0 plus m − n distinct random chords (pairs i < j that are
not cycle edges), drawn with numpy's PCG64 generator from `--seed`; connected because of the
cycle. Edge e = (i, j) has the Laplacian L_e = (e_i − e_j)(e_i − e_j)ᵀ, written as a symmetric
coordinate .mtx with two stored entries (lower triangle and diagonal: (i,i) 1, (j,j) 1, (j,i) −1).

    python3 problems/large/make_graph.py --nodes 1000 --edges 3000 --seed 7 --out problems/large/graph1000

writes OUT/L0000.mtx … and OUT.toml (the problem file next to the folder), and

    python3 problems/large/make_graph.py --hypercube 5 --out problems/hypercube_q5

only the 80 edge Laplacians of the hypercube Q5 used by problems/algebraic_connectivity_q5.toml.
"""
import argparse
import os

import numpy as np


def graph(n, m, seed):
    """The edge list (i < j): the cycle first, then the chords in drawing order."""
    if m < n or m > n * (n - 1) // 2:
        raise SystemExit(f"need n <= m <= n(n-1)/2 edges, got n = {n}, m = {m}")
    rng = np.random.default_rng(seed)
    edges = [(min(i, (i + 1) % n), max(i, (i + 1) % n)) for i in range(n)]
    seen = set(edges)
    while len(edges) < m:
        i, j = (int(v) for v in rng.integers(0, n, size=2))
        a, b = min(i, j), max(i, j)
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        edges.append((a, b))
    return edges


def hypercube(d):
    """The edges (i < j) of the d-dimensional hypercube Q_d: i and j differ in one bit."""
    return [(i, i | (1 << b)) for i in range(1 << d) for b in range(d) if not i & (1 << b)]


def write_mtx(n, edges, out):
    """OUT/Lxx.mtx, one edge Laplacian per edge; returns the file names relative to OUT's parent."""
    os.makedirs(out, exist_ok=True)
    m = len(edges)
    width = len(str(m - 1))
    names = []
    for e, (i, j) in enumerate(edges):
        name = f"L{e:0{width}d}.mtx"
        names.append(os.path.join(os.path.basename(out.rstrip("/")), name))
        with open(os.path.join(out, name), "w") as f:
            f.write("%%MatrixMarket matrix coordinate real symmetric\n")
            f.write(f"{n} {n} 3\n{i + 1} {i + 1} 1\n{j + 1} {j + 1} 1\n{j + 1} {i + 1} -1\n")
    return names


def write(n, m, seed, out):
    edges = graph(n, m, seed)
    os.makedirs(out, exist_ok=True)
    names = write_mtx(n, edges, out)
    files = ",\n  ".join(", ".join(f'"{s}"' for s in names[k:k + 4]) for k in range(0, m, 4))
    toml = f"""# Maximum algebraic connectivity of a sparse random graph: {n} nodes, {m} edges (the cycle
# 0 – 1 – … – {n - 1} – 0 plus {m - n} random chords, numpy PCG64 seed {seed}), written by
#     python3 problems/large/make_graph.py --nodes {n} --edges {m} --seed {seed} --out {out}
# (S. Boyd, "Convex optimization of graph Laplacian eigenvalues", ICM 2006).
#
# maximize λ₂(L(w)) over edge weights w ≥ 0 with Σ w = 1, L(w) = Σ_e w_e L_e = lincomb(w, L).
#
# λ₂ is not λ_min (λ₁(L) = 0 with eigenvector 1), so the objective adds J = c·11ᵀ: on 1,
# (L + J)1 = c·n·1; on 1⊥, J vanishes and L + J acts as L. Hence the spectrum of L(w) + J is that
# of L(w) on 1⊥ together with c·n, and λ_min(L(w) + J) = min(c·n, λ₂(L(w))) = λ₂(L(w)) as soon as
# c·n ≥ λ₂. Since tr L(w) = 2 Σ w = 2 is the sum of the n − 1 eigenvalues on 1⊥, λ₂ ≤ 2/(n − 1);
# so c = 2/(n(n − 1)) suffices. (c = 1 would also be correct, λ₂ ≤ λ_max ≤ 2 < n, but puts an
# eigenvalue n far from the others: Lanczos converges at a rate set by gaps relative to the
# spectral width, which c = 1 multiplies by about 2·10⁵ here.)
# λ₂ is concave in w (a minimum of the linear functions vᵀL(w)v over unit v ⊥ 1), so this is a
# convex problem; `wirtinger solve FILE --method spectral_bundle` certifies it (a dense SDP
# would have a {n} × {n} PSD block). The {m} edge Laplacians stay sparse (4 entries each).
[problem]
name = "max-algebraic-connectivity-random-{n}"
description = "Fiedler value of a {n}-node, {m}-edge graph maximized over edge weights"

[variables]
w = {{ type = "real", shape = [{m}], init = {{ expr = "ones({m}) / {m}" }} }}

[data]
J = {{ expr = "{2.0 / (n * (n - 1))!r} * ones({n}) * ones({n})'" }}
L = {{ files = [
  {files}
] }}

[objective]
maximize = "lambda_min(lincomb(w, L) + J)"

[[constraints]]
expr = "sum(w) == 1"

[[constraints]]
expr = "w >= 0"

[solver]
method = "spectral_bundle"
"""
    with open(out.rstrip("/") + ".toml", "w") as f:
        f.write(toml)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nodes", type=int, default=1000)
    ap.add_argument("--edges", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="problems/large/graph1000")
    ap.add_argument("--hypercube", type=int, metavar="D",
                    help="write only the edge Laplacians of the hypercube Q_D to OUT")
    a = ap.parse_args()
    if a.hypercube:
        write_mtx(1 << a.hypercube, hypercube(a.hypercube), a.out)
    else:
        write(a.nodes, a.edges, a.seed, a.out)
