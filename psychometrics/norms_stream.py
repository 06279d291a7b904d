"""Norms from a CSV or Parquet export of any size, in one pass.

:func:`build_norms_file` scores each chunk as :func:`~psychometrics.score_file` does
(:mod:`psychometrics.scoring.stream`) and keeps only the counts of each distinct subscale score
per stratum: a subscale score takes few distinct values, so those counts are all the norms need
(exact type-1 percentiles, mid-rank percentile ranks, mean, SD), and the bootstrap CIs come from
multinomial resampling of the counts. The norm set itself is assembled by the public builders
of :mod:`psychometrics.norms`, so it is the norm set :func:`~psychometrics.build_norms` makes.
This module sits in the statistics layer (it needs norms); the file reading below it is
:mod:`psychometrics.io.chunks`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .instruments import load_instrument
from .io.chunks import DEFAULT_CHUNKSIZE, Progress, columns_of, iter_chunks
from .io.plain import existing_file
from .norms import norm_set_from_entries, stratum_text, subscale_norm_doc
from .norms.weights import weighted_quantile_counts
from .resample import percentile_ci
from .resample import rng as make_rng
from .scoring.mapping import resolve_items
from .scoring.stream import (
    ChunkWarnings,
    check_columns,
    check_ids_across_chunks,
    ids_hash,
    score_chunk,
    score_options,
)

#: Percentiles always estimated beside the requested ones: the quartiles, which the norm set
#: reports (as :func:`~psychometrics.norms.build_norms` does).
QUARTILES = (25.0, 75.0)

#: Bootstrap draws x distinct scores per batch of multinomial resamples: bounds the memory of
#: one batch (about 16 MB of float64) while keeping the batches few.
BOOTSTRAP_BATCH_CELLS = 2_000_000


class _Counts:
    """Per (stratum, subscale): how many respondents have each distinct score; rows per stratum."""

    def __init__(self, subscales: list[str]):
        self.subscales = subscales
        self.values: dict[tuple, dict[str, dict[float, int]]] = {}
        self.rows: dict[tuple, int] = {}

    def add(self, keys: pd.DataFrame | None, scores: pd.DataFrame) -> None:
        groups = [((), np.ones(len(scores), dtype=bool))]
        if keys is not None:
            complete = keys.notna().all(axis=1).to_numpy()
            for combo, rows in keys[complete].groupby(list(keys.columns), sort=False).indices.items():
                mask = np.zeros(len(scores), dtype=bool)
                mask[np.flatnonzero(complete)[rows]] = True
                groups.append((combo if isinstance(combo, tuple) else (combo,), mask))
        for combo, mask in groups:  # loop over strata, not respondents
            self.rows[combo] = self.rows.get(combo, 0) + int(mask.sum())
            per = self.values.setdefault(combo, {s: {} for s in self.subscales})
            for sid in self.subscales:
                x = scores[sid].to_numpy(dtype=float)[mask]
                vals, cnt = np.unique(x[~np.isnan(x)], return_counts=True)
                acc = per[sid]
                for v, c in zip(vals.tolist(), cnt.tolist()):  # the few distinct scores
                    acc[v] = acc.get(v, 0) + c

    def arrays(self, combo: tuple, sid: str) -> tuple[np.ndarray, np.ndarray]:
        acc = self.values[combo][sid]
        vals = np.array(sorted(acc), dtype=float)
        return vals, np.array([acc[v] for v in vals.tolist()], dtype=float)


def _quantiles_from_counts(vals: np.ndarray, wt: np.ndarray, rows: int, probs: np.ndarray,
                           n_boot: int, level: float, g: np.random.Generator):
    """Type-1 quantiles of a count distribution, with multinomial-bootstrap percentile CIs.

    Resampling ``rows`` respondents with replacement from the stratum (those without a score
    included, as :func:`~psychometrics.norms.build_norms` does) is a multinomial draw over the
    distinct scores plus "no score"; the bootstrap distribution is the same as resampling the
    respondents themselves.
    """
    est = weighted_quantile_counts(vals, wt[None, :], probs)[0]
    if not n_boot or n_boot <= 0:
        return est, np.full(est.shape, np.nan), np.full(est.shape, np.nan)
    p = np.concatenate([[rows - wt.sum()], wt]) / rows
    reps = []
    per_batch = max(1, BOOTSTRAP_BATCH_CELLS // (vals.size + 1))
    for start in range(0, n_boot, per_batch):  # batches of resamples, not single ones
        draws = g.multinomial(rows, p, size=min(per_batch, n_boot - start))
        reps.append(weighted_quantile_counts(vals, draws[:, 1:].astype(float), probs))
    reps = np.concatenate(reps)
    ok = ~np.isnan(reps).all(axis=1)
    lo, hi = percentile_ci(reps[ok], level) if ok.any() else (np.full(est.shape, np.nan),) * 2
    return est, lo, hi


def build_norms_file(path: str | Path, instrument, *, items=None, id: str | None = None,
                     by: Sequence[str] | str | None = None, bootstrap: int = 2000, seed=None,
                     min_n: int = 50, percentiles: Sequence[float] = (5, 25, 75, 95),
                     level: float = 0.95, keys=None, form: str | None = None,
                     chunksize: int = DEFAULT_CHUNKSIZE, progress: bool | None = None,
                     norm_id: str | None = None, name: str | None = None, population: str = "",
                     country: str = "", language: str = "", year: int | None = None,
                     source: str | None = None, **options):
    """Build norms from a CSV or Parquet export of any size in one pass.

    Each chunk is scored as :func:`score_file` does and only the counts of each distinct
    subscale score per stratum are kept. From those, the norm set is what
    :func:`~psychometrics.norms.build_norms` builds from the same scores in memory (unweighted):
    the same distributions, percentile-rank tables, type-1 quantiles, quartiles, bands and
    ``n``; mean and SD agree to rounding (1e-12). The bootstrap CIs resample the counts
    (multinomial), which has the same distribution as resampling respondents but other random
    draws than the in-memory builder, so CIs agree in distribution, not digit for digit.

    Parameters
    ----------
    path, instrument, items, id, keys, form, chunksize, progress, **options
        As :func:`score_file`.
    by, bootstrap, seed, min_n, percentiles, level
        As :func:`~psychometrics.norms.build_norms` (no survey weights, raking or smoothing:
        those need every respondent's row).
    norm_id, name, population, country, language, year, source
        Provenance of the norm set (``norm_id`` is ``build_norms``' ``id``).

    Returns
    -------
    NormSet

    References
    ----------
    Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. The American
    Statistician, 50(4), 361-365.

    Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.
    """
    src = existing_file(path)
    opts = score_options(options)
    by = [by] if isinstance(by, str) else list(by or [])
    inst = load_instrument(instrument, keys=keys, form=form)
    header = columns_of(src)
    mapping = resolve_items(header, inst, items, subscales=opts.get("subscales"))
    check_columns(src, header, ([id] if id else []) + by)
    probs = np.unique(np.concatenate([np.asarray(percentiles, dtype=float), QUARTILES])) / 100.0
    if probs.min() <= 0 or probs.max() >= 1:
        raise DataError("percentiles must be strictly between 0 and 100")
    counts, scoring, rows = _count_scores(src, inst, mapping, id, by, opts, chunksize=chunksize,
                                          progress=progress)
    entries, suppressed = _norm_entries(counts, scoring, by, probs, bootstrap=bootstrap,
                                        level=level, min_n=min_n, g=make_rng(seed))
    return norm_set_from_entries(entries, suppressed, inst_id=inst.id, version=inst.version,
                                 n=rows, by=by, weighting={"method": "none"}, bootstrap=bootstrap,
                                 seed=seed, level=level, min_n=min_n, id=norm_id, name=name,
                                 population=population, country=country, language=language,
                                 year=year, source=source)


def _count_scores(src: Path, inst, mapping: dict[str, str], id: str | None, by: list[str],
                  opts: dict, *, chunksize: int, progress: bool | None) -> tuple[_Counts, dict, int]:
    """One pass over the file: (score counts per stratum, scoring rule per subscale, rows)."""
    bar = Progress(f"norms from {src.name}", progress)
    said = ChunkWarnings()
    counts = None
    rows = 0
    scoring: dict = {}
    hashes: list[np.ndarray] = []
    try:
        for chunk, fraction in iter_chunks(src, chunksize=chunksize, id=id,
                                           columns=([id] if id else []) + list(mapping.values()) + by):
            scores = score_chunk(chunk, inst, mapping, id, opts, src, rows, said)
            report = scores.attrs.get("psychometrics", {})
            scoring = dict(report.get("scoring") or scoring)
            if counts is None:
                counts = _Counts([s for s in scoring if s in scores.columns])
            keys_ = pd.DataFrame({c: stratum_text(chunk[c]) for c in by}, index=chunk.index) if by else None
            counts.add(keys_, scores)
            if id is not None:
                hashes.append(ids_hash(scores[id].to_numpy()))
            rows += len(chunk)
            bar.update(rows, fraction)
        if id is not None:
            check_ids_across_chunks(hashes, src, id, chunksize)
    finally:
        bar.close()
    said.emit(stacklevel=3)  # attributed to build_norms_file, as before the split
    if counts is None or rows == 0:
        raise DataError(f"{src}: no respondents")
    return counts, scoring, rows


def _norm_entries(counts: _Counts, scoring: dict, by: list[str], probs: np.ndarray, *,
                  bootstrap: int, level: float, min_n: int,
                  g: np.random.Generator) -> tuple[list[dict], list[dict]]:
    """The norm set's entries per stratum (overall first) and the strata below ``min_n``."""
    entries, suppressed = [], []
    combos = [()] + sorted(c for c in counts.rows if c != ())
    for combo in combos:  # loop over strata
        n_rows = counts.rows[combo]
        per = {sid: counts.arrays(combo, sid) for sid in counts.subscales}
        n_scored = min(int(wt.sum()) for _, wt in per.values())
        if n_scored < min_n:
            suppressed.append({"stratum": dict(zip(by, combo)), "n": n_scored})
            continue
        subs = {}
        for sid, (vals, wt) in per.items():
            est, lo, hi = _quantiles_from_counts(vals, wt, n_rows, probs, bootstrap, level, g)
            n = wt.sum()
            mean = float(np.sum(vals * wt) / n)
            var = float(np.sum(wt * (vals - mean) ** 2) / (n - 1)) if n > 1 else 0.0
            q = {float(p): (float(est[i]), float(lo[i]), float(hi[i])) for i, p in enumerate(probs)}
            subs[sid] = subscale_norm_doc(vals, wt, score=scoring[sid], n=int(n), mean=mean,
                                          sd=math.sqrt(var), quantiles=q)
        entries.append({"stratum": dict(zip(by, combo)), "n": int(n_rows), "subscales": subs})
    return entries, suppressed
