"""Factor rotations as R computes them: ``stats::varimax``, ``GPArotation::oblimin`` and
``psych::Promax`` (psych's ``promax``, with Kaiser normalisation).

These are line-by-line ports so that a rotated solution matches R's, including R's stopping
rules (``varimax`` stops on a relative change of 1e-5, the gradient projection algorithm on a
projected-gradient norm of 1e-5) and its starting point (the identity), which decide the
order in which factors come out and hence psych's factor names.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Rotation", "varimax", "oblimin", "promax", "rotate"]


@dataclass(frozen=True)
class Rotation:
    """A rotated pattern matrix.

    Attributes
    ----------
    loadings : ndarray (p, m)
        Rotated pattern loadings.
    rotmat : ndarray (m, m)
        psych's ``rot.mat``: ``unrotated @ rotmat`` gives ``loadings``.
    phi : ndarray (m, m) or None
        Factor correlations (oblique rotations only).
    """

    loadings: np.ndarray
    rotmat: np.ndarray
    phi: np.ndarray | None = None


def varimax(x: np.ndarray, normalize: bool = True, eps: float = 1e-5) -> Rotation:
    """Varimax rotation, a port of R's ``stats::varimax`` (Kaiser normalised by default).

    Examples
    --------
    >>> a = np.array([[.8, .3], [.7, .4], [.3, .8], [.2, .7]])
    >>> r = varimax(a)
    >>> np.allclose(r.loadings @ r.loadings.T, a @ a.T)
    True
    """
    x = np.asarray(x, dtype=float)
    nc = x.shape[1]
    if nc < 2:
        return Rotation(x.copy(), np.eye(nc))
    sc = np.sqrt((x ** 2).sum(axis=1)) if normalize else np.ones(x.shape[0])
    xn = x / sc[:, None]
    p = xn.shape[0]
    tt = np.eye(nc)
    d = 0.0
    for _ in range(1000):
        z = xn @ tt
        b = xn.T @ (z ** 3 - z * ((z ** 2).sum(axis=0) / p))
        u, s, vt = np.linalg.svd(b)
        tt = u @ vt
        dpast, d = d, s.sum()
        if d < dpast * (1 + eps):
            break
    z = (xn @ tt) * sc[:, None]
    return Rotation(z, tt)


def _vgq_oblimin(lam: np.ndarray, gam: float = 0.0):
    m = lam.shape[1]
    x = (lam ** 2) @ (np.eye(m) - gam / lam.shape[0])
    x = x @ (1.0 - np.eye(m))
    return lam * x, float((lam ** 2 * x).sum() / 4)


def oblimin(a: np.ndarray, gam: float = 0.0, eps: float = 1e-5, maxit: int = 1000) -> Rotation:
    """Oblimin (quartimin for ``gam = 0``) by gradient projection: ``GPArotation::oblimin``.

    A port of ``GPArotation::GPFoblq`` with its defaults (no Kaiser normalisation, identity
    start, ``eps = 1e-5``, ``maxit = 1000``), which is what ``psych::fa(rotate = "oblimin")``
    calls.

    Examples
    --------
    >>> a = np.array([[.8, .3], [.7, .4], [.3, .8], [.2, .7], [.5, .5]])
    >>> r = oblimin(a)
    >>> np.allclose(r.loadings @ r.phi @ r.loadings.T, a @ a.T)
    True
    """
    a = np.asarray(a, dtype=float)
    m = a.shape[1]
    if m < 2:
        return Rotation(a.copy(), np.eye(m), np.eye(m))
    tmat = np.eye(m)
    al = 1.0
    lam = a @ np.linalg.inv(tmat).T
    gq, f = _vgq_oblimin(lam, gam)
    g = -(lam.T @ gq @ np.linalg.inv(tmat)).T
    for _ in range(maxit + 1):
        gp = g - tmat * (tmat * g).sum(axis=0)
        s = np.sqrt((gp ** 2).sum())
        if s < eps:
            break
        al *= 2
        for _ in range(11):
            xm = tmat - al * gp
            tmatt = xm / np.sqrt((xm ** 2).sum(axis=0))
            lam = a @ np.linalg.inv(tmatt).T
            gqt, ft = _vgq_oblimin(lam, gam)
            if f - ft > 0.5 * s ** 2 * al:
                break
            al /= 2
        tmat, f = tmatt, ft
        g = -(lam.T @ gqt @ np.linalg.inv(tmatt)).T
    phi = tmat.T @ tmat
    return Rotation(lam, np.linalg.inv(tmat).T, phi)


def promax_core(x: np.ndarray, m: int = 4) -> Rotation:
    """``psych::Promax``: varimax, then the power-m target fitted by least squares."""
    vm = varimax(x)
    xl = vm.loadings
    q = xl * np.abs(xl) ** (m - 1)
    u = np.linalg.lstsq(xl, q, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u * np.sqrt(d)
    z = xl @ u
    u = vm.rotmat @ u
    ui = np.linalg.inv(u)
    return Rotation(z, u, ui @ ui.T)


def promax(x: np.ndarray, m: int = 4) -> Rotation:
    """Promax as ``psych::fa(rotate = "promax")``: Kaiser-normalised ``psych::Promax``.

    psych's ``kaiser(f, rotate = "Promax")`` divides each row by its communality's square
    root, applies ``Promax`` (varimax then the power-4 target) and scales the rows back; the
    factor correlations are ``solve(U) %*% t(solve(U))`` of Promax's rotation matrix.

    Examples
    --------
    >>> a = np.array([[.8, .3], [.7, .4], [.3, .8], [.2, .7], [.5, .5]])
    >>> r = promax(a)
    >>> bool(np.allclose(np.diag(r.phi), 1))
    True
    """
    x = np.asarray(x, dtype=float)
    if x.shape[1] < 2:
        return Rotation(x.copy(), np.eye(x.shape[1]), np.eye(x.shape[1]))
    h = np.sqrt((x ** 2).sum(axis=1))
    r = promax_core(x / h[:, None], m)
    return Rotation(r.loadings * h[:, None], r.rotmat, r.phi)


def rotate(loadings: np.ndarray, method: str | None) -> Rotation:
    """Dispatch on a rotation name (``None``/``"none"`` returns the input unchanged)."""
    if method is None or method == "none":
        return Rotation(np.asarray(loadings, dtype=float).copy(), np.eye(loadings.shape[1]))
    funcs = {"varimax": varimax, "oblimin": oblimin, "promax": promax}
    if method not in funcs:
        raise ValueError(f"unknown rotation {method!r}; choose one of {sorted(funcs)} or None")
    return funcs[method](loadings)
