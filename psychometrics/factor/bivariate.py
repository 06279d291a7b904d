"""The standard bivariate normal distribution: CDF (Genz's BVNU) and density, vectorised.

Used by the polychoric correlations of :mod:`psychometrics.factor.ordinal`.

References
----------
Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and t
probabilities. Statistics and Computing, 14, 251-260.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

__all__ = ["bvn_cdf", "bvn_pdf", "bvn_upper"]

_TWO_PI = 2.0 * np.pi

# Gauss-Legendre nodes/weights (20 points on [-1, 1], positive half) from Genz's BVNU.
_GL_X = np.array([0.9931285991850949, 0.9639719272779138, 0.9122344282513259,
                  0.8391169718222188, 0.7463319064601508, 0.6360536807265150,
                  0.5108670019508271, 0.3737060887154196, 0.2277858511416451,
                  0.07652652113349733])
_GL_W = np.array([0.01761400713915212, 0.04060142980038694, 0.06267204833410906,
                  0.08327674157670475, 0.1019301198172404, 0.1181945319615184,
                  0.1316886384491766, 0.1420961093183821, 0.1491729864726037,
                  0.1527533871307259])
_X20 = np.concatenate([1.0 - _GL_X, 1.0 + _GL_X])
_W20 = np.concatenate([_GL_W, _GL_W])


# ---------------------------------------------------------------------------------------
# bivariate normal
# ---------------------------------------------------------------------------------------

def bvn_upper(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k), standard bivariate normal with correlation r (Genz's BVNU), elementwise."""
    h, k, r = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float),
                                  np.asarray(r, float))
    out = np.empty(h.shape)
    hk = h * k
    small = np.abs(r) < 0.925
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if small.any():
            hs, kk, hkk, rs = h[small], k[small], hk[small], r[small]
            asr = np.arcsin(rs) / 2.0
            sn = np.sin(asr[:, None] * _X20)
            e = np.exp((sn * hkk[:, None] - ((hs * hs + kk * kk) / 2.0)[:, None]) / (1.0 - sn * sn))
            out[small] = (e @ _W20) * asr / _TWO_PI + ndtr(-hs) * ndtr(-kk)
        big = ~small
        if big.any():
            hb, kb, hkb, rb = h[big], k[big], hk[big], r[big]
            neg = rb < 0
            kb = np.where(neg, -kb, kb)
            hkb = np.where(neg, -hkb, hkb)
            inner = np.abs(rb) < 1.0
            as_ = np.where(inner, 1.0 - rb * rb, 1.0)
            a = np.sqrt(as_)
            bs = (hb - kb) ** 2
            c = (4.0 - hkb) / 8.0
            d = (12.0 - hkb) / 80.0
            asr = -(bs / as_ + hkb) / 2.0
            bvn = np.where(asr > -100.0,
                           a * np.exp(asr) * (1.0 - c * (bs - as_) * (1.0 - d * bs) / 3.0
                                              + c * d * as_ * as_), 0.0)
            b = np.sqrt(bs)
            sp = np.sqrt(_TWO_PI) * ndtr(-b / a)
            bvn = np.where(hkb > -100.0,
                           bvn - np.exp(-hkb / 2.0) * sp * b * (1.0 - c * bs * (1.0 - d * bs) / 3.0),
                           bvn)
            a2 = a / 2.0
            xs = (a2[:, None] * _X20) ** 2
            asr2 = -(bs[:, None] / xs + hkb[:, None]) / 2.0
            ok = asr2 > -100.0
            sp2 = 1.0 + c[:, None] * xs * (1.0 + 5.0 * d[:, None] * xs)
            rs2 = np.sqrt(1.0 - xs)
            ep = np.exp(-(hkb[:, None] / 2.0) * xs / (1.0 + rs2) ** 2) / rs2
            term = np.where(ok, np.exp(np.where(ok, asr2, 0.0)) * (sp2 - ep), 0.0) @ _W20
            bvn = (a2 * term - bvn) / _TWO_PI
            bvn = np.where(inner, bvn, 0.0)
            pos = rb > 0
            l_ = np.where(hb < 0, ndtr(kb) - ndtr(hb), ndtr(-hb) - ndtr(-kb))
            bvn = np.where(pos, bvn + ndtr(-np.maximum(hb, kb)),
                           np.where(hb >= kb, -bvn, l_ - bvn))
            out[big] = bvn
    return np.clip(out, 0.0, 1.0)


def bvn_cdf(h, k, r) -> np.ndarray:
    """Standard bivariate normal CDF ``P(X <= h, Y <= k)`` with correlation ``r``, elementwise.

    Genz's (2004) algorithm (20-point Gauss-Legendre; a series expansion for
    ``|r| >= 0.925``), vectorised over arrays; accurate to about 1e-15. This is what lavaan
    uses through ``pbivnorm``.

    Examples
    --------
    >>> float(bvn_cdf(0.0, 0.0, 0.5))  # 1/4 + asin(0.5)/(2 pi) = 1/3
    0.3333333333333333
    """
    return bvn_upper(-np.asarray(h, float), -np.asarray(k, float), r)


def bvn_pdf(h, k, r):
    """Standard bivariate normal density at ``(h, k)`` with correlation ``r``, elementwise."""
    r2 = 1.0 - r * r
    return np.exp(-(h * h - 2.0 * r * h * k + k * k) / (2.0 * r2)) / (_TWO_PI * np.sqrt(r2))
