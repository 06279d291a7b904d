"""What the norm code reads about an instrument: its forms and its key.

Some instruments are published in forms with different answer directions, and
``load_instrument`` then asks which form. Reading what does not depend on the form (the
subscales, their items, the answer range) needs any one form: :func:`instrument_for_metadata`
is that one way of loading, so no caller repeats "load with the first form to read metadata".
"""

from __future__ import annotations

from ..errors import InstrumentError
from ..instruments import Instrument, data_dir, load_instrument, read_yaml


def instrument_forms(instrument_id: str) -> dict:
    """Form id -> form definition (``description``, ``reverse``, ...) of a shipped instrument.

    Empty for an instrument without forms and for one that is not shipped (a file of the
    user's own); read from the raw file, without validating the instrument.

    Examples
    --------
    >>> sorted(instrument_forms("cbi"))
    ['always-first', 'never-first']
    >>> instrument_forms("my-own-instrument")
    {}
    """
    try:
        doc = read_yaml(data_dir("instruments") / f"{instrument_id}.yaml")
    except InstrumentError:  # not a shipped instrument (a file of the user's own): no forms
        return {}
    return (doc.get("forms") or {}) if isinstance(doc, dict) else {}


def instrument_for_metadata(instrument_id: str, form: str | None = None) -> Instrument:
    """The instrument loaded quietly to read what no form changes (subscales, items, ranges).

    ``form`` when given, else the first of :func:`instrument_forms` (any form gives the same
    subscales and ranges; only answer directions differ), else none.

    Raises
    ------
    InstrumentError
        The instrument is neither shipped nor a readable file.
    """
    if form is None:
        form = next(iter(instrument_forms(instrument_id)), None)
    return load_instrument(instrument_id, warn=False, form=form)
