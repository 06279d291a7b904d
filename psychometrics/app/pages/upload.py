"""The screens every journey shares: home, language, upload, the mapping, what was found.

Upload -> mapping (the suggested instrument and items from ``match_items``, editable in a
table, loaded from or saved as the YAML the CLI reads) -> what was found (missing, invalid
cells with their rows, incomplete responses) with the journey's options form.
"""

from __future__ import annotations

import secrets

import pandas as pd
from flask import Flask, abort, make_response, redirect, request, url_for
from werkzeug.utils import secure_filename

import psychometrics as pm
from psychometrics._checks import check_choice
from psychometrics.errors import DataError

from .. import display, forms, i18n, tasks
from .common import JOURNEYS, SOURCES, Upload, page, state, translate

#: Most distinct values of a column offered as a grouping column (strata, invariance, DIF):
#: more levels than this is an id, a date or a free answer, not groups.
MAX_GROUP_LEVELS = 12


def home():
    return page("home.html", journeys=JOURNEYS)


def set_lang(code: str):
    nxt = request.args.get("next") or "/"
    if not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
        nxt = "/"  # only a page of the app (browsers read "/\\host" as "//host")
    resp = redirect(nxt)
    if code in i18n.LANGS:
        resp.set_cookie("lang", code, samesite="Strict", httponly=True)
    return resp


def start(journey: str):
    if journey not in JOURNEYS:
        abort(404)
    norms_job = request.args.get("norms_job")
    built = state().jobs.get(norms_job) if norms_job else None
    return page("upload.html", journey=journey, sources=SOURCES,
                norms_job=norms_job if built is not None else None,
                built=built.result["id"] if built is not None and built.result else None)


def upload():
    journey = check_choice(request.form.get("journey", "score"), JOURNEYS, "journey")
    source = check_choice(request.form.get("source", "auto"), SOURCES, "source")
    f = request.files.get("file")
    if f is None or not f.filename:
        raise DataError(translate("no_file"))
    name = secure_filename(f.filename) or "upload"
    uid = secrets.token_urlsafe(9)
    st = state()
    folder = st.workdir / uid
    folder.mkdir(mode=0o700)
    path = folder / name
    f.save(path)
    frame = tasks.read(path, source=source)
    up = Upload(id=uid, name=f.filename, path=path, journey=journey,
                columns=[str(c) for c in frame.columns], n=len(frame),
                norms_job=request.form.get("norms_job") or None, frames={None: frame})
    up.options["source"] = source
    with st.lock:
        st.uploads[uid] = up
    return redirect(url_for("mapping", uid=uid))


def frame_of(up: Upload, id: str | None = None) -> pd.DataFrame:
    """The upload as read with ``id`` as its id column (read once per id column)."""
    if id not in up.frames:
        up.frames[id] = tasks.read(up.path, source=up.options.get("source", "auto"), id=id)
    return up.frames[id]


def _suggestions(up: Upload, frame: pd.DataFrame, id: str | None) -> list:
    if id not in up.suggestions:
        up.suggestions[id] = tasks.suggest_instruments(frame, filename=up.name, id=id)
    return up.suggestions[id]


def mapping(uid: str):
    up = state().upload(uid)
    frame = frame_of(up)
    id_col = request.args.get("id") or (up.setup.id if up.setup else tasks.suggest_id(frame))
    suggestions = _suggestions(up, frame, id_col)
    chosen = request.args.get("instrument") or (up.setup.instrument if up.setup else None)
    if chosen is None and suggestions:
        chosen = suggestions[0].instrument
    if chosen is None:
        chosen = pm.list_instruments()[0]
    items = next((s.items for s in suggestions if s.instrument == chosen), None)
    if up.setup is not None and up.setup.instrument == chosen:
        items = up.setup.items
    return _mapping_page(up, chosen, items, id_col, suggestions,
                         form=up.setup.form if up.setup else None,
                         missing_codes=up.setup.missing_codes if up.setup else [])


def _mapping_page(up: Upload, chosen: str, items, id_col, suggestions, form=None,
                  missing_codes=(), status=200, problems=()):
    inst = tasks.load(chosen, form)
    items = dict(items or {it.id: it.id for it in inst.items})
    top = [s for s in suggestions if s.complete][:4]
    rows = [{"item": r.item, "number": int(r.number), "subscale": r.subscale,
             "reverse": bool(r.reverse), "column": items.get(r.item, ""),
             "found": items.get(r.item, "") in up.columns}
            for r in inst.key().drop_duplicates("item").itertuples()]
    return page("mapping.html", status, up=up, instrument=chosen, inst=inst,
                instruments=pm.list_instruments(), suggestions=top, rows=rows,
                forms=tasks.instrument_forms(chosen), form=form, id_col=id_col,
                columns=up.columns, missing_codes=", ".join(f"{c:g}" for c in missing_codes),
                problems=problems)


def _setup_from(form, up: Upload) -> tasks.Setup:
    """The mapping the user confirmed (instrument, form, id column, item -> column)."""
    instrument = check_choice(form.get("instrument"), pm.list_instruments(), "instrument")
    forms_ = tasks.instrument_forms(instrument)
    chosen_form = form.get("form") or None
    if forms_:
        check_choice(chosen_form, list(forms_), "form")
    else:
        chosen_form = None
    id_col = form.get("id") or None
    if id_col is not None:
        check_choice(id_col, up.columns, "id")
    inst = tasks.load(instrument, chosen_form)
    items = {}
    for it in inst.items:
        col = form.get(f"item-{it.id}", "")
        if col:
            items[it.id] = col
    return tasks.Setup(instrument=instrument, items=items, id=id_col, form=chosen_form,
                       missing_codes=forms.codes(form.get("missing_codes", "")),
                       source=up.options.get("source", "auto"))


def _load_mapping(up: Upload):
    """A saved mapping YAML, reused: the mapping page with its items filled in."""
    f = request.files.get("mapping")
    if f is None or not f.filename:
        raise DataError(translate("no_file"))
    instrument = check_choice(request.form.get("instrument"), pm.list_instruments(),
                              "instrument")
    path = up.path.parent / "mapping.yaml"
    f.save(path)
    items = tasks.read_mapping(path, instrument, request.form.get("form") or None)
    frame = frame_of(up)
    id_col = request.form.get("id") or None
    return _mapping_page(up, instrument, items, id_col, _suggestions(up, frame, id_col),
                         form=request.form.get("form") or None)


def save_mapping(uid: str):
    up = state().upload(uid)
    action = request.form.get("action", "check")
    if action == "load":
        return _load_mapping(up)
    setup = _setup_from(request.form, up)
    if action == "yaml":
        resp = make_response(tasks.mapping_yaml(setup))
        resp.headers["Content-Type"] = "application/x-yaml; charset=utf-8"
        resp.headers["Content-Disposition"] = \
            f'attachment; filename="{setup.instrument}-items.yaml"'
        return resp
    inst = tasks.load(setup.instrument, setup.form)
    unmapped = [it.id for it in inst.items if it.id not in setup.items]
    if unmapped:
        return _mapping_page(up, setup.instrument, setup.items, setup.id, [],
                             form=setup.form, missing_codes=setup.missing_codes, status=400,
                             problems=[translate("items_unmapped", items=", ".join(unmapped))])
    up.setup = setup
    return redirect(url_for("check", uid=uid))


def _columns(frame: pd.DataFrame, others: list) -> tuple[list, list]:
    """The two-level columns' levels (criterion candidates) and the grouping columns."""
    two_level, groups = [], []
    for c in others:
        levels = frame[c].dropna().unique()
        if len(levels) == 2:  # the level itself (1, not "1"), as roc() compares it
            two_level += [(c, lv.item() if hasattr(lv, "item") else lv)
                          for lv in sorted(levels, key=str)]
        if 2 <= len(levels) <= MAX_GROUP_LEVELS:
            groups.append(c)
    return two_level, groups


def check(uid: str):
    up = state().upload(uid)
    if up.setup is None:
        return redirect(url_for("mapping", uid=uid))
    frame = frame_of(up, up.setup.id)
    found = tasks.found(frame, up.setup)
    item_cols = set(up.setup.items.values())
    others = [c for c in up.columns if c not in item_cols and c != up.setup.id]
    two_level, groups = _columns(frame, others)
    up.options["two_level"] = two_level
    built = state().jobs.get(up.norms_job) if up.norms_job else None
    inst = tasks.load(up.setup.instrument, up.setup.form)
    default_norm_by = ""
    if built is not None and built.result:
        strata = built.meta.get("by") or []
        default_norm_by = ", ".join(f"{s}={s}" for s in strata if s in up.columns)
    return page("check.html", up=up, found=found,
                missing=display.table(found["missing"]) if found["missing"] is not None
                else None, inst=inst, others=others, two_level=two_level, groups=groups,
                normsets=pm.list_norms(up.setup.instrument),
                rules=pm.list_rules(up.setup.instrument)["id"].tolist(),
                numeric=[c for c in others if pd.api.types.is_numeric_dtype(frame[c])],
                subscales=list(inst.subscales), built=built, default_norm_by=default_norm_by,
                margins_example=(pm.example_path("population-margins.yaml")
                                 .read_text(encoding="utf-8")))


def mapping_back(uid: str):  # a stable link back to the mapping screen
    state().upload(uid)
    return redirect(url_for("mapping", uid=uid))


def register(app: Flask) -> None:
    app.add_url_rule("/", "home", home, methods=["GET"])
    app.add_url_rule("/lang/<code>", "set_lang", set_lang, methods=["GET"])
    app.add_url_rule("/start/<journey>", "start", start, methods=["GET"])
    app.add_url_rule("/upload", "upload", upload, methods=["POST"])
    app.add_url_rule("/u/<uid>/map", "mapping", mapping, methods=["GET"])
    app.add_url_rule("/u/<uid>/map", "save_mapping", save_mapping, methods=["POST"])
    app.add_url_rule("/u/<uid>/check", "check", check, methods=["GET"])
    app.add_url_rule("/mapping/<uid>", "mapping_back", mapping_back, methods=["GET"])
