"""Keyword names renamed by the one-vocabulary change of issue 11, accepted for one release.

The package's vocabulary is ``n_boot`` + ``seed`` for a bootstrap, ``level`` for a confidence
level, ``ci_method`` for how an interval is computed and ``pvalue`` for a p-value. An old
keyword still works: its value is used and a :class:`DeprecationWarning` names the new one.
"""

from __future__ import annotations

import warnings

from ..errors import OptionError

__all__ = ["UNSET", "renamed_keyword"]


class _Unset:
    """The default of a deprecated keyword: tells "not given" apart from None."""

    def __repr__(self) -> str:
        return "<unset>"


UNSET = _Unset()


def renamed_keyword(function: str, old: str, new: str, old_value, new_value, default, *,
                    stacklevel: int):
    """The value of keyword ``new``, taken from the deprecated ``old`` when that was given.

    ``stacklevel`` counts from this function to the user's call (so the warning points there).
    Giving both names with different values is an :class:`~psychometrics.errors.OptionError`.
    """
    if old_value is UNSET:
        return new_value
    warnings.warn(f"{function}(): the keyword {old}= is renamed {new}=; {old}= will be removed "
                  "in the next release", DeprecationWarning, stacklevel=stacklevel + 1)
    if new_value is not default and new_value != default and new_value != old_value:
        raise OptionError(f"{function}(): give {new}= or the old {old}=, not both", new, new_value)
    return old_value
