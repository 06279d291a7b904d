"""Read-only views of loaded data (instruments, norm sets) shared through the load caches.

:func:`load_instrument` and :func:`load_norms` validate a file once per process and hand the
same object to every caller (issue 12 item 10, issue 15). So that one caller cannot change
what the next one gets, everything reachable from those objects is frozen: dicts become
:class:`FrozenDict`, lists :class:`FrozenList` (subclasses of ``dict``/``list``, so reading,
comparing and ``json.dumps`` work as before), numpy arrays read-only, and frozen dataclasses
get frozen field values. Any in-place change raises :class:`~psychometrics.errors.ImmutableError`.
``copy.deepcopy`` of a frozen container returns plain, writable ``dict``/``list`` data.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np

from .errors import ImmutableError

__all__ = ["FrozenDict", "FrozenList", "freeze", "thaw", "refuse"]


def refuse(obj: Any, *_args, **_kwargs):
    """Raise :class:`ImmutableError` for an attempted change of ``obj``."""
    raise ImmutableError(
        f"this {type(obj).__name__} belongs to a loaded instrument or norm set, which is shared "
        "by every caller and read-only; change a copy instead (copy.deepcopy(...) gives plain, "
        "writable data) or load your own file")


class FrozenDict(dict):
    """A ``dict`` that refuses every in-place change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = refuse
    clear = pop = popitem = setdefault = update = refuse

    def copy(self) -> dict:
        """A plain, writable shallow copy."""
        return dict(self)

    def __deepcopy__(self, memo) -> dict:
        return {copy.deepcopy(k, memo): copy.deepcopy(v, memo) for k, v in self.items()}

    def __reduce__(self):
        return (FrozenDict, (dict(self),))


class FrozenList(list):
    """A ``list`` that refuses every in-place change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = refuse
    append = extend = insert = pop = remove = clear = sort = reverse = refuse

    def copy(self) -> list:
        """A plain, writable shallow copy."""
        return list(self)

    def __deepcopy__(self, memo) -> list:
        return [copy.deepcopy(v, memo) for v in self]

    def __reduce__(self):
        return (FrozenList, (list(self),))


def freeze(value: Any) -> Any:
    """A read-only version of ``value`` (recursively); arrays and frozen dataclasses in place."""
    if isinstance(value, (FrozenDict, FrozenList, str, bytes, int, float, type(None))):
        return value
    if isinstance(value, dict):
        return FrozenDict((k, freeze(v)) for k, v in value.items())
    if isinstance(value, list):
        return FrozenList(freeze(v) for v in value)
    if type(value) is tuple:
        return tuple(freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            # frozen dataclasses block setattr; this is their owner freezing them once
            object.__setattr__(value, f.name, freeze(getattr(value, f.name)))
        return value
    return value


def thaw(value: Any) -> Any:
    """Plain, writable ``dict``/``list`` data from frozen data (a deep copy)."""
    return copy.deepcopy(value)


class Sealed:
    """Mixin of the loaded objects that are cached and shared (instruments, norm sets):
    :meth:`seal` freezes the named attributes and refuses every later assignment or deletion
    with :class:`~psychometrics.errors.ImmutableError`."""

    def seal(self, *names: str) -> None:
        for name in names:
            object.__setattr__(self, name, freeze(getattr(self, name)))
        object.__setattr__(self, "_sealed", True)

    def __setattr__(self, name, value):
        if getattr(self, "_sealed", False):
            refuse(self)
        super().__setattr__(name, value)

    def __delattr__(self, name):
        refuse(self)
