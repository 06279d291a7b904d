"""Shared plumbing for result objects: JSON-safe ``to_dict`` and small text tables.

Results are frozen dataclasses (as statsmodels' results): the numbers are fields, ``to_dict()``
returns plain JSON types with stable keys, ``summary()`` returns a readable table.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def jsonable(value: Any) -> Any:
    """Convert numpy/pandas values to plain JSON types (NaN and inf become None)."""
    # imported here, not at the top: the CLI's --help imports this module and must not pay
    # for numpy and pandas (issue 15, cold start)
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return {str(k): jsonable(v) for k, v in value.to_dict(orient="index").items()}
    if isinstance(value, pd.Series):
        return {str(k): jsonable(v) for k, v in value.to_dict().items()}
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        v = float(value)
        return None if (math.isnan(v) or math.isinf(v)) else v
    if value is pd.NA or value is pd.NaT:
        return None
    if dataclasses.is_dataclass(value) and hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def format_table(df: pd.DataFrame, title: str | None = None, digits: int = 3) -> str:
    """A plain-text table with a title line, numbers rounded for reading (not for reuse)."""
    body = df.to_string(float_format=lambda v: f"{v:.{digits}f}")
    return f"{title}\n{body}" if title else body


class Result:
    """Mixin for frozen result dataclasses: ``to_dict`` over the fields, ``summary`` table."""

    def to_dict(self) -> dict:
        return {f.name: jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.repr}

    def summary(self) -> str:  # pragma: no cover - overridden where a table reads better
        import pandas as pd

        rows = {k: v for k, v in self.to_dict().items() if not isinstance(v, (dict, list))}
        return format_table(pd.DataFrame({"value": rows}), type(self).__name__)

    def __str__(self) -> str:
        return self.summary()
