"""The web app in a real browser: headless Chromium (Debian's ``chromium`` with the system
``chromedriver``, driven by selenium) walks each journey on the bundled examples, downloads
the results and compares them with the public API on the same data; each result page is
screenshotted and checked for its figures (present, not broken)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("flask", reason="the web app needs the [app] extra (Flask)")
pytest.importorskip("selenium", reason="browser tests need selenium (the [test] extra)")

import psychometrics as pm  # noqa: E402
from psychometrics.app.web import create_app, state_of  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if CHROMIUM is None or not Path(CHROMEDRIVER).exists():
    pytest.skip("Chromium and chromium-driver are not installed (apt-get install chromium "
                "chromium-driver)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = pytest.mark.slow  # drives a browser: seconds per test

EX = Path(pm.example_path("mbi-hss-qualtrics.csv")).parent
QUALTRICS = EX / "mbi-hss-qualtrics.csv"
VALIDATION = EX / "validation-sample.csv"
MARGINS = EX / "population-margins.yaml"
WAIT = 120  # seconds: CFA and bootstrap on a busy 2-core machine


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from werkzeug.serving import make_server

    app = create_app(workdir=tmp_path_factory.mktemp("uploads"))
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    state_of(app).jobs.shutdown()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,2400", "--disable-background-networking"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    drv = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    yield drv
    drv.quit()


def wait_for(drv, css: str, timeout: float = WAIT):
    return WebDriverWait(drv, timeout).until(
        EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def click(drv, css: str) -> None:
    drv.find_element(By.CSS_SELECTOR, css).click()


def download(drv, folder: Path, css: str, suffix: str, timeout: float = 60) -> Path:
    """Click a download link or button and return the file once the browser has it."""
    for f in folder.glob("*"):
        f.unlink()
    click(drv, css)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        done = [f for f in folder.glob(f"*{suffix}")]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} file downloaded by {css}")


def upload(drv, server: str, journey: str, path: Path) -> None:
    drv.get(f"{server}/start/{journey}")
    drv.find_element(By.ID, "file").send_keys(str(path))
    click(drv, "#upload-button")
    wait_for(drv, "#mapping-table")


def pick_instrument(drv, instrument: str) -> None:
    """Choose the instrument on the mapping page (the select submits itself)."""
    if Select(drv.find_element(By.ID, "pick-instrument")).first_selected_option \
            .get_attribute("value") == instrument:
        return
    old = drv.find_element(By.ID, "mapping-table")
    Select(drv.find_element(By.ID, "pick-instrument")).select_by_value(instrument)
    WebDriverWait(drv, WAIT).until(EC.staleness_of(old))
    wait_for(drv, "#mapping-table")


def result_page_ok(drv, tmp_path: Path, name: str, figures: int) -> Path:
    """The result page's figures are there and decoded, and its screenshot shows a page."""
    import matplotlib.image

    imgs = drv.find_elements(By.CSS_SELECTOR, "img")
    assert len(imgs) >= figures
    for img in imgs:
        ok = drv.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0",
                                img)
        assert ok, f"broken image: {img.get_attribute('alt')}"
    assert not drv.find_elements(By.CSS_SELECTOR, "#error")
    shot = tmp_path / f"{name}.png"
    assert drv.save_screenshot(str(shot))
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] > 500 and pixels.shape[1] > 1000
    colours = np.unique((pixels[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50, "the screenshot is (nearly) blank"
    return shot


def test_journey_score_an_export(browser, server, downloads, tmp_path):
    drv = browser
    drv.get(server)
    click(drv, "#journey-score")
    drv.find_element(By.ID, "file").send_keys(str(QUALTRICS))
    click(drv, "#upload-button")
    wait_for(drv, "#mapping-table")
    assert "mbi-hss" in drv.find_element(By.ID, "suggestion").text
    assert Select(drv.find_element(By.ID, "id")).first_selected_option.text == "ResponseId"
    saved = download(drv, downloads, "#save-mapping", ".yaml")
    mapping = yaml.safe_load(saved.read_text())["items"]
    assert mapping == {f"mbi{n}": f"Q1_{n}" for n in range(1, 23)}
    click(drv, "#confirm-mapping")
    wait_for(drv, "#found")
    assert drv.find_element(By.ID, "kpi-invalid").text == "3"
    assert drv.find_element(By.ID, "invalid-cells").text.count("outside the scale") == 3
    Select(drv.find_element(By.ID, "norms")).select_by_value("mbi-hss-overall")
    click(drv, "#run")
    wait_for(drv, "#result-title")
    result_page_ok(drv, tmp_path, "score", figures=1)
    df = pm.read_export(QUALTRICS, id="ResponseId")
    scores = pm.score(df, "mbi-hss", items=mapping, id="ResponseId", on_invalid="missing")
    want = pm.apply_norms(scores, "mbi-hss-overall", data=df)
    for ext in ("csv", "xlsx", "sav"):
        got = pm.read_table(download(drv, downloads, f"#download-{ext}", f".{ext}"),
                            id="ResponseId")
        assert got["ResponseId"].tolist() == df["ResponseId"].tolist()
        for col in ("EE", "DP", "PA", "EE_pr", "PA_t"):
            if col in want:
                np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float),
                                           rtol=0, atol=1e-9, equal_nan=True, err_msg=ext)
        if ext != "sav":
            assert got["DP_band"].fillna("").tolist() == want["DP_band"].fillna("").tolist()
    Select(drv.find_element(By.ID, "report-by")).select_by_value("department")
    click(drv, "#make-report")
    wait_for(drv, "#download-report")
    report = download(drv, downloads, "#download-report", ".html")
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_journey_build_norms_and_apply_them(browser, server, downloads, tmp_path):
    drv = browser
    upload(drv, server, "norms", VALIDATION)
    pick_instrument(drv, "mbi-hss")
    Select(drv.find_element(By.ID, "id")).select_by_value("id")
    click(drv, "#confirm-mapping")
    wait_for(drv, "#options-form")
    click(drv, 'input[name="by"][value="sex"]')
    drv.find_element(By.ID, "margins").send_keys(MARGINS.read_text())
    for field, value in (("bootstrap", "200"), ("seed", "3")):
        box = drv.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    click(drv, "#run")
    wait_for(drv, "#result-title")
    result_page_ok(drv, tmp_path, "norms", figures=1)
    built = shutil.copy(download(drv, downloads, "#download-norms", ".yaml"),
                        tmp_path / "built.yaml")
    got = pm.load_norms(built)
    df = pm.read_export(VALIDATION, id="id")
    mapping = {f"mbi{n}": f"mbi{n}" for n in range(1, 23)}
    scores = pm.score(df, "mbi-hss", items=mapping, id="id", on_invalid="missing")
    want = pm.build_norms(scores, "mbi-hss", by=["sex"], margins=yaml.safe_load(MARGINS.read_text()),
                          data=df[["sex", "age_group", "region"]], bootstrap=200, seed=3)
    assert got.to_dict()["norms"] == want.to_dict()["norms"]
    # apply them to another upload
    click(drv, "#apply-norms")
    wait_for(drv, "#apply-built")
    drv.find_element(By.ID, "file").send_keys(str(QUALTRICS))
    click(drv, "#upload-button")
    wait_for(drv, "#mapping-table")
    pick_instrument(drv, "mbi-hss")
    click(drv, "#confirm-mapping")
    wait_for(drv, "#options-form")
    assert Select(drv.find_element(By.ID, "norms")).first_selected_option \
        .get_attribute("value").startswith("job:")
    # norms by sex, an export without a sex column: the user says the overall norm is meant
    box = drv.find_element(By.ID, "norm_by")
    box.clear()
    box.send_keys("overall")
    click(drv, "#run")
    wait_for(drv, "#result-title")
    result_page_ok(drv, tmp_path, "norms-applied", figures=1)
    got2 = pm.read_table(download(drv, downloads, "#download-csv", ".csv"), id="ResponseId")
    df2 = pm.read_export(QUALTRICS, id="ResponseId")
    s2 = pm.score(df2, "mbi-hss", items="Q1_{n}", id="ResponseId", on_invalid="missing")
    want2 = pm.apply_norms(s2, built, norm_by={})
    for col in ("EE_pr", "DP_t", "PA_stanine"):
        np.testing.assert_allclose(got2[col].to_numpy(float), want2[col].to_numpy(float),
                                   rtol=0, atol=1e-9, equal_nan=True)


def test_journey_validate_a_cutoff(browser, server, downloads, tmp_path):
    drv = browser
    upload(drv, server, "validate", VALIDATION)
    pick_instrument(drv, "mbi-hss")
    Select(drv.find_element(By.ID, "id")).select_by_value("id")
    click(drv, "#confirm-mapping")
    wait_for(drv, "#options-form")
    click(drv, 'input[name="scores"][value="DP"]')
    Select(drv.find_element(By.ID, "criterion")).select_by_visible_text("diagnosis = burnout")
    drv.find_element(By.ID, "prevalence").send_keys("0.05")
    box = drv.find_element(By.ID, "n_boot")
    box.clear()
    box.send_keys("200")
    click(drv, "#run")
    wait_for(drv, "#result-title")
    result_page_ok(drv, tmp_path, "validate", figures=2)
    df = pm.read_export(VALIDATION, id="id")
    s = pm.score(df, "mbi-hss", id="id", on_invalid="missing")
    roc = pm.roc(s["EE"], df["diagnosis"], positive="burnout", n_boot=200, seed=1)
    cut = pm.cutoffs(s["EE"], df["diagnosis"], positive="burnout", prevalence=0.05,
                     n_boot=200, seed=1)
    cells = drv.find_elements(By.CSS_SELECTOR, "#auc-1 td[data-value]")
    assert float(cells[0].get_attribute("data-value")) == pytest.approx(roc.auc, abs=1e-12)
    assert float(cells[1].get_attribute("data-value")) == cut.best["cutoff"]
    test = pm.roc_test(s["EE"], s["DP"], df["diagnosis"], positive="burnout")
    p = drv.find_element(By.CSS_SELECTOR, "#delong [data-value]").get_attribute("data-value")
    assert float(p) == pytest.approx(test.pvalue, rel=1e-12)
    table = pm.read_table(download(drv, downloads, "#download-cutoffs-1", ".csv"))
    np.testing.assert_allclose(table[["sensitivity", "specificity", "ppv", "npv"]].to_numpy(),
                               cut.table[["sensitivity", "specificity", "ppv", "npv"]].to_numpy(),
                               rtol=0, atol=1e-12)


def test_journey_check_a_sample(browser, server, tmp_path):
    drv = browser
    upload(drv, server, "check", VALIDATION)
    pick_instrument(drv, "mbi-hss")
    Select(drv.find_element(By.ID, "id")).select_by_value("id")
    click(drv, "#confirm-mapping")
    wait_for(drv, "#options-form")
    Select(drv.find_element(By.ID, "group")).select_by_value("sex")
    click(drv, "#run")
    wait_for(drv, "#result-title")
    result_page_ok(drv, tmp_path, "check", figures=1)
    df = pm.read_export(VALIDATION, id="id")
    rel = pm.reliability(df, "mbi-hss", on_invalid="missing", id="id")
    shown = [float(td.get_attribute("data-value")) for td in
             drv.find_elements(By.CSS_SELECTOR, "#reliability-table tbody tr td:nth-child(4)")]
    np.testing.assert_allclose(shown, rel.table["alpha"].to_numpy(), rtol=0, atol=1e-12)
    assert "scalar" in drv.find_element(By.ID, "invariance-table").text


def _cells(drv, table_id: str) -> list[list[str]]:
    """The ``data-value`` of every body cell of a page table, row by row."""
    return [[td.get_attribute("data-value") for td in tr.find_elements(By.CSS_SELECTOR, "td")]
            for tr in drv.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")]


def _same_cells(shown: list[list[str]], want, what: str) -> None:
    """Page cells (exact ``repr`` of each number) against a DataFrame (index first)."""
    want = want.reset_index()
    assert len(shown) == len(want), what
    for got_row, want_row in zip(shown, want.itertuples(index=False)):
        assert len(got_row) == len(want_row), what
        for got, value in zip(got_row, want_row):
            if isinstance(value, float):
                if np.isnan(value):
                    assert got == "", what
                else:
                    assert float(got) == pytest.approx(value, rel=0, abs=1e-12), what
            else:
                assert got == str(value), what


def test_journey_check_a_sample_with_irt(browser, server, tmp_path):
    """Journey 4 with the IRT option: per subscale the item-person map and information
    figures (decoded, not broken), the item parameters and the DIF table, equal to
    ``pm.irt_analysis`` on the same data."""
    drv = browser
    upload(drv, server, "check", VALIDATION)
    pick_instrument(drv, "mbi-hss")
    Select(drv.find_element(By.ID, "id")).select_by_value("id")
    click(drv, "#confirm-mapping")
    wait_for(drv, "#options-form")
    Select(drv.find_element(By.ID, "group")).select_by_value("sex")
    Select(drv.find_element(By.ID, "irt")).select_by_value("pcm")
    click(drv, "#run")
    wait_for(drv, "#result-title")
    df = pm.read_export(VALIDATION, id="id")
    mapping = {f"mbi{n}": f"mbi{n}" for n in range(1, 23)}
    want = pm.irt_analysis(df, "mbi-hss", model="pcm", dif="sex", items=mapping, id="id",
                           on_invalid="missing")
    # the reliability figure, and two figures per subscale (three with flagged DIF items)
    n_figures = 1 + sum(2 + bool(sub.dif.flagged) for sub in want.subscales.values())
    result_page_ok(drv, tmp_path, "check-irt", figures=n_figures)
    assert drv.find_element(By.ID, "irt").is_displayed()
    for sid, sub in want.subscales.items():
        block = drv.find_element(By.ID, f"irt-{sid}")
        imgs = block.find_elements(By.CSS_SELECTOR, "img")
        assert len(imgs) == 2 + bool(sub.dif.flagged), sid
        for img in imgs:
            assert drv.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth > 0", img), sid
        _same_cells(_cells(drv, f"irt-params-{sid}"),
                    sub.model.item_params.join(sub.model.thresholds), f"{sid} parameters")
        _same_cells(_cells(drv, f"irt-dif-{sid}"), sub.dif.table, f"{sid} DIF")
    assert "DIF by sex" in drv.page_source


def test_malformed_upload_shows_the_error_on_the_page(browser, server, tmp_path):
    bad = tmp_path / "answers.csv"
    bad.write_bytes(b'id,q1\n1,2,3,4\n"an unclosed quote')
    drv = browser
    drv.get(f"{server}/start/score")
    drv.find_element(By.ID, "file").send_keys(str(bad))
    click(drv, "#upload-button")
    msg = wait_for(drv, "#error-message").text
    assert "answers.csv: cannot be read" in msg and "EOF inside string" in msg
    assert "Traceback" not in drv.page_source


def test_a_long_step_shows_progress_and_cancels(browser, server):
    drv = browser
    upload(drv, server, "norms", VALIDATION)
    pick_instrument(drv, "mbi-hss")
    click(drv, "#confirm-mapping")
    wait_for(drv, "#options-form")
    box = drv.find_element(By.ID, "bootstrap")
    box.clear()
    box.send_keys("2000000")
    click(drv, "#run")
    wait_for(drv, "#job-progress")
    WebDriverWait(drv, WAIT).until(
        lambda d: "bootstrap" in d.find_element(By.ID, "job-step").text)  # updated by app.js
    click(drv, "#cancel")
    wait_for(drv, "#cancelled")


def test_language_switch_changes_the_whole_page(browser, server):
    drv = browser
    drv.get(server)
    click(drv, "#lang-nl")
    wait_for(drv, "#lang-en")
    assert drv.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    assert "Een export scoren" in drv.find_element(By.ID, "journey-score").text
    click(drv, "#lang-fr")
    WebDriverWait(drv, 10).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr")
    assert "Scorer un export" in drv.find_element(By.ID, "journey-score").text
    click(drv, "#lang-en")
    WebDriverWait(drv, 10).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
