"""The web app's pages: Flask routes over :mod:`psychometrics.app.tasks`.

Journeys share their first screens: upload -> mapping (suggested instrument and items,
editable) -> what was found (missing, invalid cells with rows, incomplete responses) plus the
journey's options -> a progress page (a background job, cancellable) -> the result with its
downloads. State lives in memory and in one private temporary folder (uploads, files to
download), deleted when the app stops.
"""

from __future__ import annotations

import atexit
import re
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from flask import (
    Flask,
    Response,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.utils import secure_filename

import psychometrics as pm
from psychometrics._checks import check_choice, check_level, check_positive_int
from psychometrics.errors import DataError, OptionError, PsychometricsError

from . import i18n, security, tasks
from .jobs import Jobs

JOURNEYS = ("score", "norms", "validate", "check")
SOURCES = ("auto", "qualtrics", "limesurvey", "spss", "csv", "excel")
DOWNLOADS = ("csv", "xlsx", "sav", "json")
#: The fit measures shown (all of them are in the CFA result; these are the ones people report).
FIT_MEASURES = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                "rmsea.ci.upper", "srmr", "chisq.scaled", "pvalue.scaled", "cfi.robust",
                "tli.robust", "rmsea.robust", "aic", "bic")
#: Default upload limit (MB); ``create_app(max_upload_mb=...)`` / ``--max-upload-mb``.
MAX_UPLOAD_MB = 50


@dataclass
class Upload:
    """One uploaded export and what the user confirmed about it."""

    id: str
    name: str
    path: Path
    journey: str
    columns: list
    n: int
    setup: tasks.Setup | None = None
    norms_job: str | None = None  # norms built in this session, to apply to this upload
    options: dict = field(default_factory=dict)
    # read once per id column (read_export reads the id as text), suggested once per id column
    frames: dict = field(default_factory=dict, repr=False)
    suggestions: dict = field(default_factory=dict, repr=False)


class State:
    """Everything the app remembers, for one user on one computer."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.uploads: dict[str, Upload] = {}
        self.jobs = Jobs()
        self.lock = threading.Lock()

    def upload(self, uid: str) -> Upload:
        with self.lock:
            up = self.uploads.get(uid)
        if up is None:
            abort(404)
        return up

    def clean(self, message: str) -> str:
        """A message without the private folder's path: the user sees their file's name."""
        return re.sub(re.escape(str(self.workdir)) + r"[/\\][^/\\]+[/\\]", "", message)


def _int(form, name: str, default: int, minimum: int = 0) -> int:
    raw = (form.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OptionError(f"{name} must be a whole number >= {minimum}; got {raw!r}",
                          name, raw) from None
    return check_positive_int(value, name, minimum)


def _float_or_none(form, name: str) -> float | None:
    raw = (form.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    return check_level(raw, name)


def _pairs(text: str, option: str) -> dict[str, str]:
    """``"sex=gender, region=regio"`` -> ``{"sex": "gender", "region": "regio"}``."""
    out = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,;\n]", text or ""))):
        if "=" not in part:
            raise OptionError(f"{option}: write STRATUM=COLUMN pairs separated by commas; "
                              f"got {part!r}", option, part)
        k, v = (s.strip() for s in part.split("=", 1))
        out[k] = v
    return out


def _norm_by(text: str) -> dict[str, str] | None:
    """The norm strata as the user wrote them: ``sex=gender`` pairs, ``overall`` for the
    overall norm on purpose (``{}``), or nothing (``None``: strata are matched to same-named
    columns, and a stratified norm set without them is refused on the page)."""
    text = (text or "").strip()
    if not text:
        return None
    if text.lower() == "overall":
        return {}
    return _pairs(text, "norm_by")


def _codes(text: str) -> list[float]:
    out = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;\s]+", text or ""))):
        try:
            out.append(float(part))
        except ValueError:
            raise OptionError(f"missing codes must be numbers separated by commas; got {part!r}",
                              "missing_codes", part) from None
    return out


def _table(df: pd.DataFrame, digits: int = 3, max_rows: int = tasks.PAGE_ROWS,
           index: bool = False) -> dict:
    """A DataFrame as rows of display strings, each with its unrounded value."""
    if index:
        df = df.reset_index()
    shown = df.head(max_rows)
    rows = []
    for rec in shown.itertuples(index=False):
        cells = []
        for v in rec:
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                cells.append(("", ""))
            elif isinstance(v, float):
                shown = f"{v:.0f}" if v.is_integer() and abs(v) < 1e15 else f"{v:.{digits}f}"
                cells.append((shown, repr(v)))
            else:
                cells.append((str(v), str(v)))
        rows.append(cells)
    return {"columns": [str(c) for c in df.columns], "rows": rows, "n": len(df),
            "shown": len(shown)}


def create_app(*, workdir: str | Path | None = None, max_upload_mb: float = MAX_UPLOAD_MB,
               warm: bool = True) -> Flask:
    """The Flask app. ``workdir``: the private folder for uploads (default: a new one)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = int(max_upload_mb * 1024 * 1024)
    app.config["MAX_UPLOAD_MB"] = max_upload_mb
    app.config["CSRF_TOKEN"] = security.new_token()
    if workdir is None:  # a private folder of our own (mode 0700), removed at exit
        wd = Path(tempfile.mkdtemp(prefix="psychometrics-app-"))
        atexit.register(shutil.rmtree, wd, ignore_errors=True)
    else:
        wd = Path(workdir)
    state = State(wd)
    app.extensions["psychometrics"] = state
    if warm:  # once the first page is served: nobody starts a job within a second
        state.jobs.warm(delay=1.0)

    # ---- guards and common context -------------------------------------------------------
    @app.before_request
    def guard():
        why = security.refusal(request.method, request.host, request.headers.get("Origin"),
                               request.headers.get("Sec-Fetch-Site"),
                               request.form.get("csrf") if request.method == "POST" else None,
                               app.config["CSRF_TOKEN"])
        if why is not None:
            return make_response(f"Refused: {why}.", 403, {"Content-Type": "text/plain"})
        return None

    @app.after_request
    def headers(resp: Response):
        for k, v in security.HEADERS.items():
            resp.headers.setdefault(k, v)
        return resp

    def lang() -> str:
        code = request.args.get("lang") or request.cookies.get("lang") or "en"
        return code if code in i18n.LANGS else "en"

    @app.context_processor
    def common():
        code = lang()
        return {"lang": code, "langs": i18n.LANG_NAMES, "csrf": app.config["CSRF_TOKEN"],
                "t": lambda key, **kw: i18n.translate(key, code, **kw),
                "label": lambda key: i18n.label(key, code),
                "max_upload_mb": app.config["MAX_UPLOAD_MB"]}

    def page(template: str, status: int = 200, **ctx):
        return render_template(template, **ctx), status

    # ---- errors: the package's message on the page, never a traceback ----------------------
    def back() -> str | None:
        """The page the user came from (same origin only), for the error page's Back link."""
        ref = request.referrer or ""
        return ref if ref.startswith(request.host_url) else None

    @app.errorhandler(PsychometricsError)
    def package_error(exc: PsychometricsError):
        return page("error.html", 400, kind=type(exc).__name__, message=state.clean(str(exc)),
                    back=back())

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc):
        return page("error.html", 413, kind="", message=i18n.translate(
            "too_large", lang(), mb=f"{app.config['MAX_UPLOAD_MB']:g}"), back=back())

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return page("error.html", exc.code or 500, kind=str(exc.code), message=exc.description)

    @app.errorhandler(500)
    def server_error(exc):  # a bug: the traceback is in the terminal, not on the page
        return page("error.html", 500, kind="", message=i18n.translate("internal_error", lang()))

    # ---- pages ---------------------------------------------------------------------------
    @app.get("/")
    def home():
        return page("home.html", journeys=JOURNEYS)

    @app.get("/lang/<code>")
    def set_lang(code: str):
        nxt = request.args.get("next") or "/"
        if not nxt.startswith("/") or nxt.startswith("//") or "\\" in nxt:
            nxt = "/"  # only a page of the app (browsers read "/\\host" as "//host")
        resp = redirect(nxt)
        if code in i18n.LANGS:
            resp.set_cookie("lang", code, samesite="Strict", httponly=True)
        return resp

    @app.get("/start/<journey>")
    def start(journey: str):
        if journey not in JOURNEYS:
            abort(404)
        norms_job = request.args.get("norms_job")
        built = state.jobs.get(norms_job) if norms_job else None
        return page("upload.html", journey=journey, sources=SOURCES,
                    norms_job=norms_job if built is not None else None,
                    built=built.result["id"] if built is not None and built.result else None)

    @app.post("/upload")
    def upload():
        journey = check_choice(request.form.get("journey", "score"), JOURNEYS, "journey")
        source = check_choice(request.form.get("source", "auto"), SOURCES, "source")
        f = request.files.get("file")
        if f is None or not f.filename:
            raise DataError(i18n.translate("no_file", lang()))
        name = secure_filename(f.filename) or "upload"
        uid = secrets.token_urlsafe(9)
        folder = state.workdir / uid
        folder.mkdir(mode=0o700)
        path = folder / name
        f.save(path)
        frame = tasks.read(path, source=source)
        up = Upload(id=uid, name=f.filename, path=path, journey=journey,
                    columns=[str(c) for c in frame.columns], n=len(frame),
                    norms_job=request.form.get("norms_job") or None, frames={None: frame})
        up.options["source"] = source
        with state.lock:
            state.uploads[uid] = up
        return redirect(url_for("mapping", uid=uid))

    def _frame(up: Upload, id: str | None = None) -> pd.DataFrame:
        if id not in up.frames:
            up.frames[id] = tasks.read(up.path, source=up.options.get("source", "auto"), id=id)
        return up.frames[id]

    def _suggestions(up: Upload, frame: pd.DataFrame, id: str | None) -> list:
        if id not in up.suggestions:
            up.suggestions[id] = tasks.suggest_instruments(frame, filename=up.name, id=id)
        return up.suggestions[id]

    @app.get("/u/<uid>/map")
    def mapping(uid: str):
        up = state.upload(uid)
        frame = _frame(up)
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
        return _mapping_page(up, frame, chosen, items, id_col, suggestions,
                             form=up.setup.form if up.setup else None,
                             missing_codes=up.setup.missing_codes if up.setup else [])

    def _mapping_page(up, frame, chosen, items, id_col, suggestions, form=None,
                      missing_codes=(), status=200, problems=()):
        inst = tasks.load(chosen, form)
        items = dict(items or {it.id: it.id for it in inst.items})
        forms = tasks.instrument_forms(chosen)
        top = [s for s in suggestions if s.complete][:4]
        key = inst.key()
        rows = [{"item": r.item, "number": int(r.number), "subscale": r.subscale,
                 "reverse": bool(r.reverse), "column": items.get(r.item, ""),
                 "found": items.get(r.item, "") in up.columns}
                for r in key.drop_duplicates("item").itertuples()]
        return page("mapping.html", status, up=up, instrument=chosen, inst=inst,
                    instruments=pm.list_instruments(), suggestions=top, rows=rows,
                    forms=forms, form=form, id_col=id_col, columns=up.columns,
                    missing_codes=", ".join(f"{c:g}" for c in missing_codes),
                    problems=problems)

    def _setup_from(form, up: Upload) -> tasks.Setup:
        instrument = check_choice(form.get("instrument"), pm.list_instruments(), "instrument")
        forms = tasks.instrument_forms(instrument)
        chosen_form = form.get("form") or None
        if forms:
            check_choice(chosen_form, list(forms), "form")
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
                           missing_codes=_codes(form.get("missing_codes", "")),
                           source=up.options.get("source", "auto"))

    @app.post("/u/<uid>/map")
    def save_mapping(uid: str):
        up = state.upload(uid)
        action = request.form.get("action", "check")
        if action == "load":  # a saved mapping YAML, reused
            f = request.files.get("mapping")
            if f is None or not f.filename:
                raise DataError(i18n.translate("no_file", lang()))
            instrument = check_choice(request.form.get("instrument"), pm.list_instruments(),
                                      "instrument")
            path = up.path.parent / "mapping.yaml"
            f.save(path)
            items = tasks.read_mapping(path, instrument, request.form.get("form") or None)
            frame = _frame(up)
            id_col = request.form.get("id") or None
            return _mapping_page(up, frame, instrument, items, id_col,
                                 _suggestions(up, frame, id_col),
                                 form=request.form.get("form") or None)
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
            frame = _frame(up)
            return _mapping_page(up, frame, setup.instrument, setup.items, setup.id, [],
                                 form=setup.form, missing_codes=setup.missing_codes, status=400,
                                 problems=[i18n.translate("items_unmapped", lang(),
                                                          items=", ".join(unmapped))])
        up.setup = setup
        return redirect(url_for("check", uid=uid))

    @app.get("/u/<uid>/check")
    def check(uid: str):
        up = state.upload(uid)
        if up.setup is None:
            return redirect(url_for("mapping", uid=uid))
        frame = _frame(up, up.setup.id)
        found = tasks.found(frame, up.setup)
        item_cols = set(up.setup.items.values())
        others = [c for c in up.columns if c not in item_cols and c != up.setup.id]
        two_level = []
        groups = []
        for c in others:
            levels = frame[c].dropna().unique()
            if len(levels) == 2:  # the level itself (1, not "1"), as roc() compares it
                two_level += [(c, lv.item() if hasattr(lv, "item") else lv)
                              for lv in sorted(levels, key=str)]
            if 2 <= len(levels) <= 12:
                groups.append(c)
        up.options["two_level"] = two_level
        built = state.jobs.get(up.norms_job) if up.norms_job else None
        normsets = pm.list_norms(up.setup.instrument)
        rules = pm.list_rules(up.setup.instrument)["id"].tolist()
        numeric = [c for c in others if pd.api.types.is_numeric_dtype(frame[c])]
        inst = tasks.load(up.setup.instrument, up.setup.form)
        missing = _table(found["missing"]) if found["missing"] is not None else None
        default_norm_by = ""
        if built is not None and built.result:
            strata = built.meta.get("by") or []
            default_norm_by = ", ".join(f"{s}={s}" for s in strata if s in up.columns)
        return page("check.html", up=up, found=found, missing=missing, inst=inst,
                    others=others, two_level=two_level, groups=groups, normsets=normsets,
                    rules=rules, numeric=numeric, subscales=list(inst.subscales),
                    built=built, default_norm_by=default_norm_by,
                    margins_example=(pm.example_path("population-margins.yaml")
                                     .read_text(encoding="utf-8")))

    def _norms_choice(up: Upload, value: str) -> str | None:
        if not value:
            return None
        if value.startswith("job:"):
            job = state.jobs.get(value[4:])
            if job is None or not job.result:
                raise DataError("the norm set built in this session is no longer available")
            return job.result["output"]
        return check_choice(value, pm.list_norms(up.setup.instrument), "norms")

    @app.post("/u/<uid>/run")
    def run(uid: str):
        up = state.upload(uid)
        if up.setup is None:
            return redirect(url_for("mapping", uid=uid))
        form = request.form
        base = {"path": str(up.path), "setup": up.setup}
        meta = {"upload": uid, "lang": lang()}
        if up.journey == "score":
            norms = _norms_choice(up, form.get("norms", ""))
            opts = {"norms": norms, "norm_by": _norm_by(form.get("norm_by", "")),
                    "rule": (check_choice(form.get("rule"), pm.list_rules(
                        up.setup.instrument)["id"].tolist(), "rule")
                        if form.get("rule") else None), "lang": lang()}
            up.options["score"] = opts
            job = state.jobs.start("score", "run_score", {**base, **opts}, meta)
        elif up.journey == "norms":
            by = [check_choice(c, up.columns, "by") for c in form.getlist("by")]
            margins = None
            text = form.get("margins", "").strip()
            if text:
                try:
                    margins = yaml.safe_load(text)
                except yaml.YAMLError as exc:
                    raise OptionError(f"margins: not valid YAML: {exc}", "margins",
                                      text[:80]) from None
                if not isinstance(margins, dict) or not all(isinstance(v, dict)
                                                            for v in margins.values()):
                    raise OptionError("margins: write one 'column: {level: share, ...}' per line",
                                      "margins", text[:80])
            out = up.path.parent / f"norms-{secrets.token_hex(4)}.yaml"
            opts = {"by": by, "margins": margins, "bootstrap": _int(form, "bootstrap", 1000, 0),
                    "seed": _int(form, "seed", 1, 0), "min_n": _int(form, "min_n", 50, 1),
                    "population": form.get("population", ""),
                    "country": form.get("country", "")}
            job = state.jobs.start("norms", "run_build_norms",
                                   {**base, "output": str(out), **opts}, {**meta, "by": by})
        elif up.journey == "validate":
            choices = up.options.get("two_level", [])
            crit = form.get("criterion", "")
            if not crit.isdigit() or int(crit) >= len(choices):
                raise OptionError(i18n.translate("choose_criterion", lang()), "criterion", crit)
            criterion, positive = choices[int(crit)]
            scores = form.getlist("scores")
            opts = {"scores": scores, "criterion": criterion, "positive": positive,
                    "prevalence": _float_or_none(form, "prevalence"),
                    "method": check_choice(form.get("method", "youden"),
                                           ("youden", "closest_topleft"), "method"),
                    "n_boot": _int(form, "n_boot", 1000, 0), "seed": _int(form, "seed", 1, 0)}
            job = state.jobs.start("validate", "run_validate", {**base, **opts}, meta)
        else:
            group = form.get("group") or None
            if group is not None:
                check_choice(group, up.columns, "group")
            opts = {"group": group,
                    "estimator": check_choice(form.get("estimator", "ML"), ("ML", "MLR"),
                                              "estimator"),
                    "irt": check_choice(form.get("irt") or None,
                                        (None, "pcm", "rsm", "grm", "rasch"), "irt")}
            job = state.jobs.start("check", "run_check", {**base, **opts}, meta)
        return redirect(url_for("job_page", jid=job.id))

    @app.get("/job/<jid>")
    def job_page(jid: str):
        job = state.jobs.get(jid)
        if job is None:
            abort(404)
        if job.state == "running":
            return page("job.html", job=job)
        if job.state == "error":
            if job.error is None:
                return page("error.html", 500, kind="",
                            message=i18n.translate("internal_error", lang()))
            return page("error.html", 400, kind=job.error_type,
                        message=state.clean(job.error),
                        back=url_for("check", uid=job.meta["upload"])
                        if "upload" in job.meta else None)
        if job.state == "cancelled":
            return page("job.html", job=job)
        up = state.uploads.get(job.meta.get("upload"))
        r = job.result
        if job.kind == "score":
            return page("result_score.html", job=job, up=up, r=r, downloads=DOWNLOADS,
                        table=_table(r["table"]), subscales=r["subscales"])
        if job.kind == "report":
            return page("result_report.html", job=job, up=up, r=r, formats=tasks.REPORT_FORMATS)
        if job.kind == "norms":
            return page("result_norms.html", job=job, up=up, r=r, table=_table(r["table"]))
        if job.kind == "validate":
            tables = {s: _table(c.table[[k for k in ("cutoff", "sensitivity", "specificity",
                                                       "ppv", "npv", "youden_j")
                                          if k in c.table.columns]], max_rows=200)
                      for s, c in r["cutoffs"].items()}
            return page("result_validate.html", job=job, up=up, r=r, tables=tables)
        if job.kind == "check":
            rel = r["reliability"].table[["k", "n", "alpha", "ci_low", "ci_high", "std_alpha",
                                          "average_r", "sem"]]
            fit = pd.DataFrame({"value": pd.Series({k: r["cfa"].fit[k] for k in FIT_MEASURES
                                                    if k in r["cfa"].fit}, dtype=float)})
            inv = r["invariance"]
            inv_cols = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "chisq_diff",
                        "df_diff", "p_diff", "delta_cfi", "delta_rmsea"]
            return page("result_check.html", job=job, up=up, r=r,
                        rel=_table(rel, index=True),
                        fit=_table(fit.rename_axis("measure"), index=True, max_rows=100),
                        inv=_table(inv.table[[c for c in inv_cols if c in inv.table.columns]]
                                   .rename_axis("model"), index=True)
                        if inv is not None else None)
        abort(404)

    @app.get("/job/<jid>/status")
    def job_status(jid: str):
        job = state.jobs.get(jid)
        if job is None:
            abort(404)
        status = job.status()
        if status["error"]:
            status["error"] = state.clean(status["error"])
        return jsonify(status)

    @app.post("/job/<jid>/cancel")
    def job_cancel(jid: str):
        if state.jobs.cancel(jid) is None:
            abort(404)
        return redirect(url_for("job_page", jid=jid))

    @app.post("/job/<jid>/report")
    def job_report(jid: str):
        job = state.jobs.get(jid)
        if job is None or job.kind != "score" or job.state != "done":
            abort(404)
        up = state.upload(job.meta["upload"])
        opts = up.options.get("score", {})
        by = [check_choice(c, up.columns, "by") for c in request.form.getlist("by")]
        new = state.jobs.start("report", "run_report",
                               {"path": str(up.path), "setup": up.setup,
                                "norms": opts.get("norms"), "norm_by": opts.get("norm_by"),
                                "by": by, "lang": lang()},
                               {"upload": up.id, "lang": lang(), "from": jid})
        return redirect(url_for("job_page", jid=new.id))

    @app.get("/job/<jid>/download/<name>")
    def download(jid: str, name: str):
        job = state.jobs.get(jid)
        if job is None or job.state != "done":
            abort(404)
        up = state.uploads.get(job.meta.get("upload"))
        stem = Path(up.name).stem if up is not None else "result"
        folder = state.workdir / "downloads" / jid
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if job.kind == "score" and name.rsplit(".", 1)[-1] in DOWNLOADS and \
                name.startswith("scores."):
            ext = name.rsplit(".", 1)[-1]
            path = tasks.write(job.result["table"], folder / f"{stem}-scores.{ext}",
                               id=up.setup.id if up and up.setup else None,
                               lang=job.meta.get("lang", "en"))
            return send_file(path, as_attachment=True, download_name=path.name)
        if job.kind == "norms" and name == "norms.yaml":
            path = Path(job.result["output"])
            return send_file(path, as_attachment=True,
                             download_name=f"{job.result['id']}.yaml",
                             mimetype="application/x-yaml")
        if job.kind == "validate" and name.startswith("cutoffs-") and name.endswith(".csv"):
            c = job.result["cutoffs"].get(name[len("cutoffs-"):-len(".csv")])
            if c is None:
                abort(404)
            path = tasks.write(c.table, folder / secure_filename(f"{stem}-{name}"))
            return send_file(path, as_attachment=True, download_name=path.name)
        if job.kind == "check" and name == "reliability.csv":
            path = tasks.write(job.result["reliability"].table.reset_index(),
                               folder / f"{stem}-reliability.csv")
            return send_file(path, as_attachment=True, download_name=path.name)
        ext = name.rsplit(".", 1)[-1]
        if job.kind == "report" and name == f"report.{ext}" and ext in tasks.REPORT_FORMATS:
            path = tasks.save_report(job.result["report"], folder / f"{stem}-report.{ext}")
            return send_file(path, as_attachment=True, download_name=Path(path).name)
        abort(404)

    @app.get("/mapping/<uid>")
    def mapping_back(uid: str):  # a stable link back to the mapping screen
        state.upload(uid)
        return redirect(url_for("mapping", uid=uid))

    return app


def state_of(app: Flask) -> State:
    """The app's state (uploads, jobs, private folder)."""
    return app.extensions["psychometrics"]


__all__ = ["create_app", "state_of", "JOURNEYS", "MAX_UPLOAD_MB"]
