#!/usr/bin/env python3
"""Independent reference values for the example problems in this folder.

Rebuilds each problem's data with numpy, from the seeded generator as documented in
docs/format.md ("Seeded random data": ChaCha8, Box–Muller, column-major fill; the reference
implementation below is copied from there), computes the known optimum in closed form, and
compares it with the problem file's `expected_objective`.

    python3 problems/expected_values.py          # print and compare; exit 1 on a mismatch

Python's math module uses the platform libm, which may differ from wirtinger's portable libm in
the last bit of rare values: agreement is expected to about 1e-12 relative, not bit for bit.
Nothing here calls wirtinger: the numbers are the independent side of the comparison.
"""

import math
import pathlib
import re
import sys

import numpy as np

# ---- the seeded generator (docs/format.md, "Seeded random data") --------------------------

M32 = 0xFFFFFFFF
CONSTANTS = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]


def rotl(x, n):
    return ((x << n) | (x >> (32 - n))) & M32


def quarter(s, a, b, c, d):
    s[a] = (s[a] + s[b]) & M32; s[d] = rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & M32; s[b] = rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & M32; s[d] = rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & M32; s[b] = rotl(s[b] ^ s[c], 7)


def chacha8_block(key, counter):
    inp = CONSTANTS + key + [counter & M32, counter >> 32, 0, 0]
    s = inp[:]
    for _ in range(4):
        quarter(s, 0, 4, 8, 12); quarter(s, 1, 5, 9, 13)
        quarter(s, 2, 6, 10, 14); quarter(s, 3, 7, 11, 15)
        quarter(s, 0, 5, 10, 15); quarter(s, 1, 6, 11, 12)
        quarter(s, 2, 7, 8, 13); quarter(s, 3, 4, 9, 14)
    return [(x + y) & M32 for x, y in zip(s, inp)]


class ChaCha8:
    def __init__(self, seed):
        self.key = [seed & M32, seed >> 32, 0, 0, 0, 0, 0, 0]
        self.counter, self.words = 0, []

    def next_u32(self):
        if not self.words:
            self.words = chacha8_block(self.key, self.counter)
            self.counter += 1
        return self.words.pop(0)

    def next_u64(self):
        lo = self.next_u32()
        hi = self.next_u32()
        return lo | (hi << 32)


def generate(kind, shape, seed):
    """The entries in column-major order."""
    count = math.prod(shape)
    g = ChaCha8(seed)
    out = []
    if kind == "uniform":
        return [(g.next_u64() >> 11) * 2.0**-53 for _ in range(count)]
    while len(out) < count:
        x1, x2 = g.next_u64(), g.next_u64()
        u1 = ((x1 >> 11) + 1) * 2.0**-53
        u2 = (x2 >> 11) * 2.0**-53
        r = math.sqrt(-2.0 * math.log(u1))
        z0, z1 = r * math.cos(math.tau * u2), r * math.sin(math.tau * u2)
        if kind == "complex_normal":
            out.append(complex(z0 * 0.7071067811865476, z1 * 0.7071067811865476))
        else:
            out.append(z0)
            if len(out) < count:
                out.append(z1)
    return out


def random(kind, shape, seed):
    """A seeded data entry `{ random = kind, shape = shape, seed = seed }` as a numpy array."""
    v = np.array(generate(kind, shape, seed))
    return v.reshape(shape, order="F") if len(shape) == 2 else v


# ---- the problems ------------------------------------------------------------------------------

def mvdr_beamformer():
    """1/(a0ᴴR⁻¹a0), cross-checked against the sidelobe canceller's own minimum."""
    pi = math.pi
    k = np.arange(8)
    a0 = np.exp(1j * pi * math.sin(pi / 6) * k)
    a1 = np.exp(1j * pi * math.sin(-pi / 9) * k)
    a2 = np.exp(1j * pi * math.sin(5 * pi / 18) * k)
    G = random("complex_normal", [8, 64], 51)
    R = (100 * np.outer(a1, a1.conj()) + 10 * np.outer(a2, a2.conj())
         + G @ G.conj().T / 64 + np.eye(8))
    value = 1.0 / np.real(a0.conj() @ np.linalg.solve(R, a0))
    # The sidelobe canceller with this file's blocking matrix gives the same number.
    wq = a0 / (a0.conj() @ a0)
    B = np.eye(8, 7) - np.outer(np.eye(8)[7], a0.conj()[:7]) / np.conj(a0[7])
    assert np.abs(a0.conj() @ B).max() < 1e-14
    u = np.linalg.solve(B.conj().T @ R @ B, B.conj().T @ R @ wq)
    e = wq - B @ u
    gsc = np.real(e.conj() @ R @ e)
    assert abs(gsc - value) <= 1e-12 * value, (gsc, value)
    return value


def fir_design():
    """The weighted least-squares optimum, by numpy's lstsq on the weighted system."""
    pi = math.pi
    k = np.arange(16)
    m = np.arange(64)
    wt = np.array([3] * 5 + [0] * 3 + [1] * 9 + [0] * 3 + [3] * 44, dtype=float)
    passband = np.array([0] * 8 + [1] * 9 + [0] * 47, dtype=float)
    omega = 2 * pi / 64 * m
    E = np.exp(-1j * np.outer(omega, k))
    d = passband * np.exp(-7.5j * omega)
    A, b = wt[:, None] * E, wt * d
    h, *_ = np.linalg.lstsq(A, b, rcond=None)
    value = np.sum(np.abs(A @ h - b) ** 2) / 64
    # Cross-check: the normal equations (EᴴW²E) h = EᴴW²d give the same h.
    h2 = np.linalg.solve(A.conj().T @ A, A.conj().T @ b)
    assert np.linalg.norm(h - h2) <= 1e-10 * np.linalg.norm(h)
    return value


def amplitude_noise_ml():
    """ℓ* = −32(log(πσ̂²) + 1) with ĉ = sᴴy/sᴴs and σ̂² = ‖y − ĉs‖²/32."""
    s = random("complex_normal", [32], 61)
    n = random("complex_normal", [32], 62)
    y = (0.8 - 0.6j) * s + 0.3 * n
    c = (s.conj() @ y) / (s.conj() @ s)
    sigma2 = np.sum(np.abs(y - c * s) ** 2) / 32
    value = -32 * (math.log(math.pi * sigma2) + 1)
    # Cross-check: the log-likelihood at (ĉ, log σ̂²) is the same number, and nearby points are
    # worse.
    def ell(c, v):
        return -32 * (math.log(math.pi) + v) - math.exp(-v) * np.sum(np.abs(y - c * s) ** 2)
    v = math.log(sigma2)
    assert abs(ell(c, v) - value) <= 1e-12 * abs(value)
    for dc, dv in [(1e-3, 0), (1e-3j, 0), (0, 1e-3), (0, -1e-3)]:
        assert ell(c + dc, v + dv) < value
    return value


def toeplitz_covariance():
    """‖R̂‖² − 4r₀² − Σₖ 2(4 − k)|r_k|², from the diagonal means; cross-checked by lstsq on the
    real embedding."""
    X = random("complex_normal", [4, 10], 71)
    Rh = X @ X.conj().T / 10
    r0 = np.mean(np.real(np.diag(Rh)))
    r = [np.mean(np.diag(Rh, -k)) for k in (1, 2, 3)]
    value = (np.sum(np.abs(Rh) ** 2) - 4 * r0**2
             - sum(2 * (4 - k) * abs(r[k - 1]) ** 2 for k in (1, 2, 3)))
    # lstsq over the 7 real coordinates (r0, Re r, Im r): columns are the basis matrices.
    S = np.eye(4, k=-1)
    basis = [np.eye(4)]
    for k in (1, 2, 3):
        Sk = np.linalg.matrix_power(S, k)
        basis += [Sk + Sk.T, 1j * (Sk - Sk.T)]   # d/dRe r_k, d/dIm r_k
    A = np.array([np.concatenate([b.ravel().real, b.ravel().imag]) for b in basis]).T
    rhs = np.concatenate([Rh.ravel().real, Rh.ravel().imag])
    x, *_ = np.linalg.lstsq(A, rhs, rcond=None)
    lsq = np.sum((A @ x - rhs) ** 2)
    assert abs(lsq - value) <= 1e-12 * value, (lsq, value)
    return value


def deconvolution():
    """(λ/n)·Σₖ |Yₖ|²/(|Hₖ|² + λ), cross-checked by evaluating the objective at the Fourier-domain
    minimizer."""
    n, lam = 1024, 0.01
    h = np.array([1.0, 0.6 + 0.4j, 0.3 - 0.2j, 0.1 + 0.1j, 0.05])
    hpad = np.zeros(n, dtype=complex)
    hpad[:5] = h
    H = np.fft.fft(hpad)
    x0 = random("complex_normal", [n], 81)
    noise = random("complex_normal", [n], 82)
    y = np.fft.ifft(H * np.fft.fft(x0)) + 0.05 * noise
    Y = np.fft.fft(y)
    value = lam / n * np.sum(np.abs(Y) ** 2 / (np.abs(H) ** 2 + lam))
    x = np.fft.ifft(np.conj(H) * Y / (np.abs(H) ** 2 + lam))
    direct = (np.sum(np.abs(np.fft.ifft(H * np.fft.fft(x)) - y) ** 2)
              + lam * np.sum(np.abs(x) ** 2))
    assert abs(direct - value) <= 1e-12 * value, (direct, value)
    return value


# ---- the earlier examples, whose optima are also known in closed form ---------------------------

def least_squares():
    """‖(I − AA⁺)b‖²."""
    A = random("complex_normal", [8, 4], 1)
    b = random("complex_normal", [8], 2)
    z, *_ = np.linalg.lstsq(A, b, rcond=None)
    return np.sum(np.abs(A @ z - b) ** 2)


def widely_linear_quadratic():
    """The stationary point of f = zᴴPz + Re(zᵀCz) − 2Re(bᴴz): g = 2(Pz + conj(C)conj(z) − b) = 0,
    solved on the real embedding z = x + iy."""
    B = random("complex_normal", [6, 6], 31)
    P = B.conj().T @ B + np.eye(6)
    D = random("complex_normal", [6, 6], 32)
    C = (D + D.T) / 4
    b = random("complex_normal", [6], 33)

    def f(z):
        return np.real(z.conj() @ P @ z) + np.real(z @ C @ z) - 2 * np.real(b.conj() @ z)

    Cb = C.conj()
    M = np.block([[np.real(P + Cb), -np.imag(P - Cb)], [np.imag(P + Cb), np.real(P - Cb)]])
    x = np.linalg.solve(M, np.concatenate([b.real, b.imag]))
    z = x[:6] + 1j * x[6:]
    # Cross-check: every real direction is flat to first order and curves upward.
    for d in list(np.eye(6)) + list(1j * np.eye(6)):
        fp, fm = f(z + 1e-4 * d), f(z - 1e-4 * d)
        assert abs(fp - fm) <= 1e-9 and fp > f(z) and fm > f(z)
    return f(z)


def rank_one_fit():
    """Σλᵢ² − λ_max² for λ_max > 0."""
    G = random("complex_normal", [8, 8], 21)
    lam = np.linalg.eigvalsh((G + G.conj().T) / 2)
    assert lam[-1] > 0
    return np.sum(lam**2) - lam[-1] ** 2


def rayleigh_quotient():
    """λ_min(A)."""
    G = random("complex_normal", [10, 10], 41)
    return np.linalg.eigvalsh((G + G.conj().T) / 2)[0]


PROBLEMS = {
    "mvdr_beamformer.toml": mvdr_beamformer,
    "fir_design.toml": fir_design,
    "amplitude_noise_ml.toml": amplitude_noise_ml,
    "toeplitz_covariance.toml": toeplitz_covariance,
    "deconvolution.toml": deconvolution,
    "least_squares.toml": least_squares,
    "widely_linear_quadratic.toml": widely_linear_quadratic,
    "rank_one_fit.toml": rank_one_fit,
    "rayleigh_quotient.toml": rayleigh_quotient,
}


def main():
    here = pathlib.Path(__file__).resolve().parent
    bad = 0
    for name, fn in PROBLEMS.items():
        value = fn()
        text = (here / name).read_text(encoding="utf-8")
        m = re.search(r"^expected_objective\s*=\s*(\S+)", text, re.M)
        stated = float(m.group(1)) if m else None
        if stated is None:
            verdict = "no expected_objective in the file"
            bad += 1
        else:
            rel = abs(stated - value) / max(abs(value), 1e-300)
            ok = rel <= 1e-10 or abs(stated - value) <= 1e-14
            verdict = f"file {stated!r}: {'agrees' if ok else 'DIFFERS'} (rel. diff. {rel:.1e})"
            bad += not ok
        print(f"{name:34s} {float(value)!r:24s} {verdict}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
