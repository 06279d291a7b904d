"""Scoring: which column holds which item, reading response cells, and subscale scores.

* :mod:`~psychometrics.scoring.cells`: one export column -> codes (numbers, missing markers,
  response labels in the instrument's languages), the one cell parser of the package;
* :mod:`~psychometrics.scoring.mapping`: the ``items=`` mapping and :func:`match_items`, the
  check of an export against an instrument before scoring;
* :mod:`~psychometrics.scoring.scores`: :func:`score`, :func:`keyed_items`,
  :func:`item_frame`, :func:`concat_scores`;
* :mod:`~psychometrics.scoring.stream`: :func:`score_file`, scoring a file larger than memory
  in chunks.

Scoring sits above :mod:`psychometrics.io` (it reads the survey tools' column names from it)
and below the statistics; io never imports scoring.
"""

from .cells import MISSING_MARKERS, cell_values
from .mapping import MatchReport, item_mapping, match_items, resolve_items, value_label_mismatches
from .scores import concat_scores, item_frame, keyed_items, read_items, score
from .stream import DEFAULT_CHUNKSIZE, StreamReport, score_file

__all__ = ["MISSING_MARKERS", "cell_values", "MatchReport", "item_mapping", "match_items",
           "resolve_items", "value_label_mismatches", "concat_scores", "item_frame",
           "keyed_items", "read_items", "score", "DEFAULT_CHUNKSIZE", "StreamReport",
           "score_file"]
