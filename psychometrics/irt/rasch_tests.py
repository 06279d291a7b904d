"""The results of the Rasch family's model tests between groups: Andersen's likelihood-ratio
test and the Wald test (computed by :meth:`psychometrics.RaschResult.lr_test` and
:meth:`~psychometrics.RaschResult.wald_test`, as eRm's ``LRtest`` and ``Waldtest``).

References
----------
Andersen, E. B. (1973). A goodness of fit test for the Rasch model. *Psychometrika*, 38,
123-140.
Fischer, G. H., & Molenaar, I. W. (Eds.) (1995). *Rasch Models*. Springer, ch. 5.
Mair, P., & Hatzinger, R. (2007). Extended Rasch modeling: The eRm package. *Journal of
Statistical Software*, 20(9).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .._results import Result, format_table

__all__ = ["LRTestResult", "WaldTestResult"]


@dataclass(frozen=True)
class LRTestResult(Result):
    """Andersen's likelihood-ratio test (eRm's ``LRtest``).

    ``groups`` has one row per group (label, n, loglik, npar); ``betas`` the easiness and SE
    of every parameter in every group.
    """

    split: str
    lr: float
    df: int
    pvalue: float
    loglik_full: float
    loglik_groups: float
    items_excluded: list
    groups: pd.DataFrame
    betas: pd.DataFrame = field(repr=False)

    def summary(self) -> str:
        head = (f"Andersen LR test (split: {self.split}): LR = {self.lr:.3f}, df = {self.df}, "
                f"p = {self.pvalue:.4g}")
        if self.items_excluded:
            head += f"\nitems excluded: {self.items_excluded}"
        return head + "\n" + format_table(self.groups)


@dataclass(frozen=True)
class WaldTestResult(Result):
    """Wald test per item (RM) or item category (PCM, RSM) between two groups (eRm's
    ``Waldtest``): ``table`` holds ``z``, ``pvalue``, ``beta_1``, ``se_1``, ``beta_2``,
    ``se_2`` (easiness in each group, each group with its own sum-zero normalisation)."""

    split: str
    group_1: str
    group_2: str
    items_excluded: list
    table: pd.DataFrame

    def summary(self) -> str:
        return format_table(self.table, f"Wald test (split: {self.split}; group 1 = "
                                         f"{self.group_1}, group 2 = {self.group_2})")
