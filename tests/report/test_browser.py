"""The report opens in a real browser: every figure drawn, no console error, not blank.

Needs Debian's chromium and chromium-driver (``.ci/run`` installs them) and selenium;
skipped where they are missing.
"""

import shutil

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from glassbox.report import build

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        pytest.skip("chromium and chromedriver are not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1100,1400"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=driver_path), options=options)
    yield driver
    driver.quit()


def test_report_renders_in_chromium(browser, tmp_path):
    import matplotlib.image

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    path = build(X.iloc[:, :6].assign(target=y), "target", output=tmp_path / "report.html", cv=3,
                 slices=["mean radius"]).path
    browser.get(path.as_uri())
    sections = browser.execute_script("return Array.from(document.querySelectorAll('section')).map(s => s.id);")
    assert len(sections) == 10 and sections[:2] == ["the-data", "model-card"]
    # Every link of the table of contents lands on a section that exists.
    targets = browser.execute_script(
        "return Array.from(document.querySelectorAll('nav a')).map(a => "
        "document.getElementById(a.getAttribute('href').slice(1)) !== null);"
    )
    assert len(targets) == len(sections) and all(targets)
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('svg')).map(s => {"
        "const r = s.getBoundingClientRect(); return [r.width, r.height, s.querySelectorAll('text').length]; });"
    )
    assert len(sizes) >= 8 and all(w > 100 and h > 50 and n > 0 for w, h, n in sizes)
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    browser.set_window_size(1100, browser.execute_script("return document.body.scrollHeight;"))
    screenshot = tmp_path / "report.png"
    browser.save_screenshot(str(screenshot))
    pixels = matplotlib.image.imread(screenshot)
    assert pixels.shape[0] > 2000 and np.std(pixels[..., :3]) > 0.05  # text and figures, not a blank page
