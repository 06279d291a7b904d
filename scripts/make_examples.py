"""Generate the bundled example data in ``examples/`` (shipped as ``psychometrics._examples``).

Run ``python scripts/make_examples.py`` from the repository root; every file is rebuilt from a
fixed seed, so the output is identical on every run (the ``.sav`` file up to the creation time
SPSS files carry in their header). Responses come from a latent factor model per subscale
(correlated factors, loadings 0.55-0.85, item thresholds cutting the latent response into the
instrument's codes), so reliabilities, factor structures and cut-off analyses on these files
look like real data, not uniform noise. No item wording of a licensed instrument is written.

Files and the quirks planted in them (the tests in ``tests/test_io.py`` check each one gives
the documented result):

``mbi-hss-qualtrics.csv`` - Qualtrics CSV export, 200 respondents, MBI-HSS items ``Q1_1`` ..
``Q1_22`` coded 0..6, ``department``, ``gender`` (choice text), ``gender_4_TEXT``, ``age``.

* three header rows (names, question text, ``{"ImportId": ...}``): detected, the two extra rows
  are dropped and kept in ``attrs["export"]`` (question text, import ids);
* ``gender_4_TEXT`` free text: listed as a text column, never taken for an item;
* :data:`QUALTRICS_OUT_OF_RANGE`: three cells coded 7 on the 0..6 scale: ``score`` raises
  ``InvalidResponseError`` naming column, respondent and value; with ``on_invalid="missing"``
  they are missing and listed in the report;
* :data:`QUALTRICS_BLANK`: blank cells (missing; sums prorated when enough items answered);
* :data:`QUALTRICS_NA_TEXT`: cells holding the text ``N/A`` (missing);
* :data:`QUALTRICS_MANY_MISSING`: a respondent who answered 6 of 22 items (no subscale score);
* :data:`QUALTRICS_UNFINISHED`: ``Finished = 0``, ``Progress = 41``, items after ``Q1_9`` blank:
  kept and flagged ``incomplete``;
* a department of 4 respondents (``Palliative care``), for small-cell suppression.

``mbi-hss-items.yaml`` - the item mapping of the Qualtrics file (item id -> column).

``olbi-limesurvey-items.yaml`` - the item mapping of the LimeSurvey file.

``olbi-limesurvey.csv`` - LimeSurvey CSV export, 150 responses, ``;`` separator, every field
quoted, OLBI in the agree-high form (1 = strongly disagree .. 4 = strongly agree), columns
``OLBI[SQ001]`` .. ``OLBI[SQ016]``, ``sector``, ``hours`` (decimal comma, ``37,5``).

* :data:`LIMESURVEY_PARTIAL`: stopped after page 1 (``lastpage = 1``, empty ``submitdate``,
  items 9-16 blank): kept and flagged ``incomplete``;
* :data:`LIMESURVEY_EMPTY`: opened and left (``lastpage`` empty, nothing answered): kept and
  flagged;
* decimal commas in ``hours``: read as numbers.

``cbi-spss.sav`` - SPSS file, 120 respondents, Copenhagen Burnout Inventory ``cbi1`` ..
``cbi19`` coded 1 = never/to a very low degree .. 5 = always/to a very high degree, with
value labels, variable labels and the user-defined missing codes 8 (``Not applicable``) and
9 (``No answer``); ``resp_id`` (text), ``sex`` (1/2 with labels), ``age``, ``clients``. The
codes follow the shipped ``cbi`` instrument's ``never-first`` form
(``score(df, "cbi", form="never-first")``).

* respondents without clients answer 8 (not applicable) to the client items 14-19;
* :data:`SPSS_NO_ANSWER`: a few 9 codes; :data:`SPSS_SYSMIS`: a few system-missing cells.
  Both user-missing codes become NaN on reading, and the report says which and how many.

``validation-sample.csv`` - 300 respondents with MBI-HSS items ``mbi1`` .. ``mbi22``, a
clinician's ``diagnosis`` (``burnout`` / ``no burnout``, about 1 in 4), ``sex``, ``age``,
``age_group``, ``region``, ``sector``: a criterion sample for cut-off validation, drawn with
more women and more Flemish respondents than the population so that raking matters.

``population-margins.yaml`` - illustrative population margins (sex, age group, region) for
raking the validation sample. Rounded, illustrative values, not official statistics.
"""

from __future__ import annotations

import csv
import string
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20240607
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples"

# planted quirks: (0-based row, column[, value])
QUALTRICS_OUT_OF_RANGE = [(16, "Q1_5", 7), (87, "Q1_14", 7), (149, "Q1_20", 7)]
QUALTRICS_BLANK = [(3, "Q1_2"), (29, "Q1_17"), (55, "Q1_8"), (56, "Q1_22"), (102, "Q1_11"),
                   (131, "Q1_3"), (176, "Q1_19")]
QUALTRICS_NA_TEXT = [(41, "Q1_6"), (98, "Q1_13"), (120, "Q1_21"), (160, "Q1_10")]
QUALTRICS_MANY_MISSING = 64          # answered Q1_1 .. Q1_6 only
QUALTRICS_UNFINISHED = 190           # stopped after Q1_9
LIMESURVEY_PARTIAL = [12, 47, 48, 90, 133]
LIMESURVEY_EMPTY = [71, 140]
SPSS_NO_ANSWER = [(5, "cbi3"), (33, "cbi11"), (77, "cbi17"), (101, "cbi8")]
SPSS_SYSMIS = [(18, "cbi2"), (60, "cbi15")]


def ordinal_responses(rng: np.random.Generator, n: int, factor: list[int], loadings,
                      phi: np.ndarray, thresholds: np.ndarray, sign=None,
                      shift: np.ndarray | None = None) -> np.ndarray:
    """Codes 0..C-1 from a normal-ogive factor model.

    ``y_ij = sign_j * loading_j * f_i[factor_j] + sqrt(1 - loading_j^2) * e_ij``, cut at the
    item's thresholds (k x (C-1)); ``shift`` (n x m) moves respondents' factor means.
    """
    m = phi.shape[0]
    f = rng.multivariate_normal(np.zeros(m), phi, size=n)
    if shift is not None:
        f = f + shift
    lam = np.asarray(loadings, dtype=float)
    sgn = np.ones(len(factor)) if sign is None else np.asarray(sign, dtype=float)
    y = f[:, factor] * lam * sgn + rng.standard_normal((n, len(factor))) * np.sqrt(1 - lam ** 2)
    return (y[:, :, None] > thresholds[None, :, :]).sum(axis=2)


# ---- MBI-HSS -----------------------------------------------------------------------------

MBI_SUBSCALE = {1: 0, 2: 0, 3: 0, 6: 0, 8: 0, 13: 0, 14: 0, 16: 0, 20: 0,      # EE
                5: 1, 10: 1, 11: 1, 15: 1, 22: 1,                              # DP
                4: 2, 7: 2, 9: 2, 12: 2, 17: 2, 18: 2, 19: 2, 21: 2}           # PA
MBI_PHI = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, -0.35], [-0.3, -0.35, 1.0]])
MBI_TAU = {0: [-1.0, -0.35, 0.15, 0.6, 1.0, 1.6],      # EE: a few times a month on average
           1: [-0.3, 0.3, 0.75, 1.15, 1.5, 2.0],       # DP: mostly never / rarely
           2: [-2.3, -1.9, -1.5, -1.0, -0.35, 0.55]}   # PA: often


def mbi_items(rng: np.random.Generator, n: int, shift: np.ndarray | None = None) -> np.ndarray:
    """n x 22 MBI-HSS codes 0..6 (items in questionnaire order)."""
    factor = [MBI_SUBSCALE[i] for i in range(1, 23)]
    loadings = rng.uniform(0.6, 0.85, 22)
    tau = np.array([np.array(MBI_TAU[f]) + rng.uniform(-0.25, 0.25) for f in factor])
    return ordinal_responses(rng, n, factor, loadings, MBI_PHI, tau, shift=shift)


def _response_id(rng: np.random.Generator) -> str:
    chars = np.array(list(string.ascii_letters + string.digits))
    return "R_" + "".join(rng.choice(chars, 15))


def qualtrics(rng: np.random.Generator, n: int = 200) -> list[list[str]]:
    """Rows (three header rows, then data) of the Qualtrics MBI-HSS export."""
    depts = np.array(["Emergency", "Intensive care", "Surgery", "Internal medicine", "Paediatrics"])
    dept = rng.choice(depts, n, p=[0.22, 0.2, 0.2, 0.23, 0.15]).astype(object)
    dept[[11, 58, 123, 187]] = "Palliative care"
    # departments differ in exhaustion (EE) and depersonalisation (DP)
    effect = {"Emergency": 0.45, "Intensive care": 0.3, "Surgery": 0.0, "Internal medicine": -0.1,
              "Paediatrics": -0.25, "Palliative care": 0.1}
    shift = np.zeros((n, 3))
    shift[:, 0] = [effect[d] for d in dept]
    shift[:, 1] = shift[:, 0] * 0.6
    codes = mbi_items(rng, n, shift).astype(object)
    genders = ["Woman", "Man", "Non-binary / third gender", "Prefer to self-describe",
               "Prefer not to say"]
    gender = rng.choice(genders, n, p=[0.7, 0.25, 0.015, 0.01, 0.025])
    gender[[33, 144]] = "Prefer to self-describe"
    self_desc = np.full(n, "", dtype=object)
    self_desc[33], self_desc[144] = "genderfluid", "agender"
    age = np.clip(np.round(rng.normal(41, 11, n)), 21, 66).astype(int).astype(object)
    age[[7, 99]] = ""  # not every respondent gives an age
    start = pd.Timestamp("2024-03-04 07:30:00") + pd.to_timedelta(
        np.sort(rng.uniform(0, 14 * 24 * 3600, n)), unit="s")
    duration = np.round(rng.lognormal(np.log(300), 0.45, n)).astype(int)
    progress = np.full(n, 100)
    finished = np.ones(n, int)
    items = [f"Q1_{j}" for j in range(1, 23)]
    col = {c: j for j, c in enumerate(items)}
    for r, c, v in QUALTRICS_OUT_OF_RANGE:
        codes[r, col[c]] = v
    for r, c in QUALTRICS_BLANK:
        codes[r, col[c]] = ""
    for r, c in QUALTRICS_NA_TEXT:
        codes[r, col[c]] = "N/A"
    codes[QUALTRICS_MANY_MISSING, 6:] = ""
    codes[QUALTRICS_UNFINISHED, 9:] = ""
    progress[QUALTRICS_UNFINISHED], finished[QUALTRICS_UNFINISHED] = 41, 0
    dept[QUALTRICS_UNFINISHED] = ""
    gender[QUALTRICS_UNFINISHED], age[QUALTRICS_UNFINISHED] = "", ""

    meta = ["StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished",
            "RecordedDate", "ResponseId", "DistributionChannel", "UserLanguage"]
    names = meta + items + ["department", "gender", "gender_4_TEXT", "age"]
    text = (["Start Date", "End Date", "Response Type", "Progress", "Duration (in seconds)",
             "Finished", "Recorded Date", "Response ID", "Distribution Channel", "User Language"]
            + [f"How often do you experience the following? - MBI-HSS item {j} (wording "
               "licensed by Mind Garden, not reproduced)" for j in range(1, 23)]
            + ["In which department do you work?", "How do you describe yourself? - Selected Choice",
               "How do you describe yourself? - Prefer to self-describe - Text", "How old are you?"])
    tz = '"timeZone":"Europe/Brussels"'
    imports = ([f'{{"ImportId":"startDate",{tz}}}', f'{{"ImportId":"endDate",{tz}}}',
                '{"ImportId":"status"}', '{"ImportId":"progress"}', '{"ImportId":"duration"}',
                '{"ImportId":"finished"}', f'{{"ImportId":"recordedDate",{tz}}}',
                '{"ImportId":"_recordId"}', '{"ImportId":"distributionChannel"}',
                '{"ImportId":"userLanguage"}']
               + [f'{{"ImportId":"QID1_{j}"}}' for j in range(1, 23)]
               + ['{"ImportId":"QID2"}', '{"ImportId":"QID3"}', '{"ImportId":"QID3_4_TEXT"}',
                  '{"ImportId":"QID4_TEXT"}'])
    rows = [names, text, imports]
    ids = set()
    for i in range(n):
        rid = _response_id(rng)
        while rid in ids:
            rid = _response_id(rng)
        ids.add(rid)
        end = start[i] + pd.Timedelta(seconds=int(duration[i]))
        stamp = "%Y-%m-%d %H:%M:%S"
        rows.append([start[i].strftime(stamp), end.strftime(stamp), "0", str(progress[i]),
                     str(duration[i]), str(finished[i]), end.strftime(stamp), rid, "anonymous",
                     "EN"]
                    + [str(v) for v in codes[i]]
                    + [dept[i], gender[i], self_desc[i], str(age[i])])
    return rows


# ---- OLBI (agree-high form: 1 = strongly disagree .. 4 = strongly agree) -----------------

OLBI_EX = [2, 4, 5, 8, 10, 12, 14, 16]
OLBI_POSITIVE = {1, 5, 7, 10, 13, 14, 15, 16}   # reversed in the agree-high form


def olbi_items(rng: np.random.Generator, n: int) -> np.ndarray:
    factor = [0 if j in OLBI_EX else 1 for j in range(1, 17)]
    sign = [-1 if j in OLBI_POSITIVE else 1 for j in range(1, 17)]
    loadings = rng.uniform(0.55, 0.8, 16)
    tau = np.array([[-0.9, 0.1, 1.1]]) + rng.uniform(-0.3, 0.3, (16, 1))
    phi = np.array([[1.0, 0.6], [0.6, 1.0]])
    return ordinal_responses(rng, n, factor, loadings, phi, tau, sign) + 1


def limesurvey(rng: np.random.Generator, n: int = 150) -> list[list[str]]:
    codes = olbi_items(rng, n).astype(object)
    sectors = np.array(["Zorg", "Onderwijs", "Overheid", "Industrie", "Diensten"])
    sector = rng.choice(sectors, n).astype(object)
    hours = rng.choice([19.0, 24.0, 30.4, 32.0, 36.0, 37.5, 38.0, 40.0], n,
                       p=[0.05, 0.08, 0.07, 0.1, 0.15, 0.25, 0.25, 0.05])
    lang = rng.choice(["nl", "fr"], n, p=[0.65, 0.35])
    start = pd.Timestamp("2024-05-13 08:00:00") + pd.to_timedelta(
        np.sort(rng.uniform(0, 10 * 24 * 3600, n)), unit="s")
    minutes = rng.lognormal(np.log(6), 0.4, n)
    items = [f"OLBI[SQ{j:03d}]" for j in range(1, 17)]
    names = (["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp"]
             + items + ["sector", "hours"])
    rows = [names]
    stamp = "%Y-%m-%d %H:%M:%S"
    for i in range(n):
        end = start[i] + pd.Timedelta(minutes=float(minutes[i]))
        submit, lastpage = end.strftime(stamp), "2"
        answers = [str(v) for v in codes[i]]
        extra = [sector[i], f"{hours[i]:g}".replace(".", ",")]
        if i in LIMESURVEY_PARTIAL:
            submit, lastpage = "", "1"
            answers[8:] = [""] * 8
            extra = ["", ""]
        elif i in LIMESURVEY_EMPTY:
            submit, lastpage = "", ""
            answers = [""] * 16
            extra = ["", ""]
            end = start[i] + pd.Timedelta(seconds=20)
        rows.append([str(i + 1), submit, lastpage, lang[i], str(rng.integers(10**8, 10**9)),
                     start[i].strftime(stamp), end.strftime(stamp)] + answers + extra)
    return rows


# ---- CBI (SPSS) ----------------------------------------------------------------------------

CBI_SCALE = {**{j: 0 for j in range(1, 7)}, **{j: 1 for j in range(7, 14)},
             **{j: 2 for j in range(14, 20)}}
CBI_DEGREE = {7, 8, 9, 14, 15, 16, 17}     # "to a ... degree" items; the rest are frequencies
CBI_CONTENT = ["tired", "physically exhausted", "emotionally exhausted", "can't take it anymore",
               "worn out", "weak and susceptible to illness", "work emotionally exhausting",
               "burnt out because of work", "work frustrates", "worn out at end of working day",
               "exhausted in the morning at thought of work", "every working hour tiring",
               "enough energy for family and friends", "hard to work with clients",
               "frustrating to work with clients", "drains energy to work with clients",
               "give more than get back", "tired of working with clients",
               "wonder how long can continue with clients"]
FREQ_LABELS = {1.0: "Never/almost never", 2.0: "Seldom", 3.0: "Sometimes", 4.0: "Often",
               5.0: "Always"}
DEGREE_LABELS = {1.0: "To a very low degree", 2.0: "To a low degree", 3.0: "Somewhat",
                 4.0: "To a high degree", 5.0: "To a very high degree"}
CBI_MISSING_LABELS = {8.0: "Not applicable", 9.0: "No answer"}


def cbi_frame(rng: np.random.Generator, n: int = 120) -> tuple[pd.DataFrame, dict]:
    factor = [CBI_SCALE[j] for j in range(1, 20)]
    sign = [-1 if j == 13 else 1 for j in range(1, 20)]
    loadings = rng.uniform(0.6, 0.85, 19)
    tau = np.array([[-1.2, -0.3, 0.6, 1.5]]) + rng.uniform(-0.3, 0.3, (19, 1))
    phi = np.array([[1.0, 0.7, 0.5], [0.7, 1.0, 0.6], [0.5, 0.6, 1.0]])
    codes = (ordinal_responses(rng, n, factor, loadings, phi, tau, sign) + 1).astype(float)
    clients = rng.choice([1.0, 2.0], n, p=[0.8, 0.2])
    codes[clients == 2.0, 13:] = 8.0          # client items not applicable
    for r, c in SPSS_NO_ANSWER:
        codes[r, int(c[3:]) - 1] = 9.0
    for r, c in SPSS_SYSMIS:
        codes[r, int(c[3:]) - 1] = np.nan
    df = pd.DataFrame({"resp_id": [f"CBI-{i + 1:04d}" for i in range(n)],
                       "sex": rng.choice([1.0, 2.0], n, p=[0.4, 0.6]),
                       "age": np.clip(np.round(rng.normal(42, 10, n)), 20, 65),
                       "clients": clients})
    for j in range(1, 20):
        df[f"cbi{j}"] = codes[:, j - 1]
    labels = {f"cbi{j}": {**(DEGREE_LABELS if j in CBI_DEGREE else FREQ_LABELS),
                          **CBI_MISSING_LABELS} for j in range(1, 20)}
    labels["sex"] = {1.0: "male", 2.0: "female"}
    labels["clients"] = {1.0: "works with clients", 2.0: "no clients"}
    meta = {
        "column_labels": {"resp_id": "Respondent id", "sex": "Sex", "age": "Age in years",
                          "clients": "Works with clients, patients or students",
                          **{f"cbi{j}": f"CBI item {j}: {CBI_CONTENT[j - 1]}" for j in range(1, 20)}},
        "variable_value_labels": labels,
        "missing_ranges": {f"cbi{j}": [8.0, 9.0] for j in range(1, 20)},
    }
    return df, meta


# ---- validation sample ---------------------------------------------------------------------

def validation(rng: np.random.Generator, n: int = 300) -> pd.DataFrame:
    sex = rng.choice(["F", "M"], n, p=[0.66, 0.34])
    region = rng.choice(["Flanders", "Wallonia", "Brussels"], n, p=[0.7, 0.2, 0.1])
    age = np.clip(np.round(rng.normal(43, 11, n)), 19, 64).astype(int)
    group = pd.cut(age, [17, 34, 49, 64], labels=["18-34", "35-49", "50-64"]).astype(str)
    sector = rng.choice(["health care", "education", "public administration", "industry"], n)
    # about a quarter are patients referred for burnout: higher EE/DP, lower PA
    referred = rng.random(n) < 0.3
    shift = np.zeros((n, 3))
    shift[referred] = [1.3, 0.9, -0.6]
    codes = mbi_items(rng, n, shift)
    ee = codes[:, [j - 1 for j, f in MBI_SUBSCALE.items() if f == 0]].sum(axis=1)
    dp = codes[:, [j - 1 for j, f in MBI_SUBSCALE.items() if f == 1]].sum(axis=1)
    # the clinician sees more than the questionnaire: diagnosis from the latent state + noise
    z = -4.2 + 2.0 * referred + 0.07 * ee + 0.05 * dp + rng.normal(0, 0.8, n)
    diagnosis = np.where(rng.random(n) < 1 / (1 + np.exp(-z)), "burnout", "no burnout")
    df = pd.DataFrame({"id": [f"V{i + 1:03d}" for i in range(n)], "sex": sex, "age": age,
                       "age_group": group, "region": region, "sector": sector})
    for j in range(1, 23):
        df[f"mbi{j}"] = codes[:, j - 1]
    df["diagnosis"] = diagnosis
    return df


MARGINS = """\
# Illustrative population margins for raking examples/validation-sample.csv.
# Rounded, illustrative shares of a working population; NOT official statistics.
sex: {F: 0.47, M: 0.53}
age_group: {"18-34": 0.32, "35-49": 0.37, "50-64": 0.31}
region: {Flanders: 0.58, Wallonia: 0.30, Brussels: 0.12}
"""


def _write_csv(rows: list[list[str]], path: Path, delimiter: str = ",") -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)


def main(out: Path = OUT) -> list[Path]:
    """Write every example file into ``out``; returns their paths."""
    import pyreadstat

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    written = []
    # one child generator per file, so changing one file never changes the others
    r_q, r_l, r_s, r_v = rng.spawn(4)
    p = out / "mbi-hss-qualtrics.csv"
    _write_csv(qualtrics(r_q), p)
    written.append(p)
    p = out / "mbi-hss-items.yaml"
    p.write_text("# Item mapping of mbi-hss-qualtrics.csv: instrument item id -> export column.\n"
                 "items:\n" + "".join(f"  mbi{j}: Q1_{j}\n" for j in range(1, 23)), encoding="utf-8")
    written.append(p)
    p = out / "olbi-limesurvey.csv"
    _write_csv(limesurvey(r_l), p, delimiter=";")
    written.append(p)
    p = out / "olbi-limesurvey-items.yaml"
    p.write_text("# Item mapping of olbi-limesurvey.csv: instrument item id -> export column.\n"
                 "items:\n" + "".join(f"  olbi{j}: OLBI[SQ{j:03d}]\n" for j in range(1, 17)),
                 encoding="utf-8")
    written.append(p)
    df, meta = cbi_frame(r_s)
    p = out / "cbi-spss.sav"
    pyreadstat.write_sav(df, str(p), file_label="CBI example (synthetic)", **meta)
    written.append(p)
    p = out / "validation-sample.csv"
    validation(r_v).to_csv(p, index=False, lineterminator="\n")
    written.append(p)
    p = out / "population-margins.yaml"
    p.write_text(MARGINS, encoding="utf-8")
    written.append(p)
    return written


if __name__ == "__main__":
    for path in main():
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{path.stat().st_size / 1024:.1f} KB")
