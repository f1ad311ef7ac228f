"""The playground in a real browser (Debian's chromium through Playwright): learn the spiral, inspect, edit, export,
reopen the link, and meet bad input. Skipped where chromium or Playwright is missing (CI installs both)."""

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import glassnet as gn
from glassnet.web import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
ACCURACY = "() => Number(document.getElementById('status').dataset.testAccuracy) > 0.9"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from waitress.server import create_server

    path = tmp_path_factory.mktemp("model") / "m.glassnet"
    gn.save(path, gn.mlp([64, 10], rng=0), metadata={"image_shape": [8, 8], "classes": list("0123456789")})
    srv = create_server(create_app(gn.load(path)), host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=srv.run, daemon=True).start()
    yield f"http://127.0.0.1:{srv.effective_port}/playground"
    srv.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def status(page, key):
    return page.locator("#status").get_attribute(f"data-{key}")


def test_learn_the_spiral_inspect_edit_export_and_reopen_the_link(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "?data=spiral&noise=0.1")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")
    assert page.locator(".neuron").count() == 16  # two hidden layers of 8 by default
    # a line per weight between the columns: 2 x 8 + 8 x 8 + 8 x 1, drawn behind the pictures
    assert page.locator("#network .column").count() == 4 and page.locator("#wires").count() == 1
    drawn = "() => { const c = document.getElementById('wires'); const d = c.getContext('2d')" \
            ".getImageData(0, 0, c.width, c.height).data; let n = 0; for (let k = 3; k < d.length; k += 4)" \
            " n += d[k] > 0; return n; }"
    assert page.evaluate(drawn) > 1000

    page.click("#play")
    page.wait_for_function(ACCURACY, timeout=120_000)
    page.click("#play")  # pause: the frame on its way still arrives
    page.wait_for_timeout(500)
    for _ in range(20):  # that last frame may have dipped: an epoch at a time until it is back above
        if float(status(page, "test-accuracy")) > 0.9:
            break
        step = int(status(page, "step"))
        page.click("#epoch")
        page.wait_for_function(f"() => Number(document.getElementById('status').dataset.step) > {step}")
    page.screenshot(path=tmp_path / "1-learned.png")
    assert float(status(page, "test-accuracy")) > 0.9

    page.locator(".neuron").nth(3).click()
    sync_api.expect(page.locator("#detail")).to_contain_text("a = tanh(z) =")
    page.locator("#weights button").first.click()
    sync_api.expect(page.locator("#detail")).to_contain_text("next step: w - lr * dJ/dw")
    page.fill("#edit-value", "2.5")
    page.click("#edit-apply")
    sync_api.expect(page.locator("#weights button").first).to_have_text("w1 = 2.500")
    assert "edits=" in page.url
    before = int(status(page, "step"))
    page.click("#epoch")  # training goes on from the edited weight
    page.wait_for_function(f"() => Number(document.getElementById('status').dataset.step) > {before}")
    steps = int(status(page, "step"))
    assert steps == before + 20
    page.screenshot(path=tmp_path / "2-edited.png")
    loss = float(status(page, "train-loss"))

    with page.expect_download() as download:
        page.click("#export-script")
    script = Path(download.value.path())
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = dict(line.rsplit(" ", 1) for line in done.stdout.splitlines())
    assert abs(float(printed["train loss"]) - loss) <= 1e-12
    with page.expect_download() as download:
        page.click("#export-model")
    assert gn.load(download.value.path()).metadata["step"] == steps

    # the link, in a fresh browser, trained as many steps, gives the same numbers
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    fresh.goto(page.url)
    sync_api.expect(fresh.locator("#status")).to_contain_text("step 0")
    per_epoch = 20  # 200 training points, batches of 10
    assert steps % per_epoch == 0
    for epoch in range(steps // per_epoch):
        fresh.click("#epoch")
        sync_api.expect(fresh.locator("#status")).to_contain_text(f"step {(epoch + 1) * per_epoch} ")
    assert float(status(fresh, "train-loss")) == loss
    assert errors == []


def test_bad_input_gets_a_message_on_the_page(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")

    page.fill("#lr", "1e6")
    page.click("#reset")
    sync_api.expect(page.locator("#error")).to_have_text("lr must be above 0 and at most 10; received 1e+06")
    page.fill("#lr", "0.03")

    for _ in range(5):  # 2 + 5 = 7 hidden layers: one beyond the bound
        page.click("#add-layer")
    page.click("#reset")
    sync_api.expect(page.locator("#error")).to_contain_text("at most 6 hidden layers; received 7")
    page.locator(".layer button[title='remove this layer']").last.click()
    page.click("#reset")
    sync_api.expect(page.locator("#network .column")).to_have_count(1 + 6 + 1)  # inputs, 6 hidden layers, output
    sync_api.expect(page.locator("#error")).to_have_text("")

    page.select_option("#data", "csv")
    cases = {
        "text.csv": ("x1,x2,class\n0.1,0.2,0\n0.3,<b>bold</b>,1\n", "row 2, column 2 must be a number"),
        "three.csv": ("1,2,3,0\n4,5,6,1\n", "every row must hold 3 values"),
        "one-class.csv": ("1,2,0\n3,4,0\n5,6,0\n", "at least 2 classes; received only class 0"),
        "million.csv": ("1,2,0\n" * 10**6, "The CSV file must be at most 1,000,000 bytes"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        page.set_input_files("#csv", str(tmp_path / name))
        page.click("#reset")
        sync_api.expect(page.locator("#error")).to_contain_text(message)
        assert page.locator("#error b").count() == 0  # text stays text
    page.screenshot(path=tmp_path / "3-bad-csv.png")
    (tmp_path / "good.csv").write_text("x1,x2,class\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(60)))
    page.set_input_files("#csv", str(tmp_path / "good.csv"))
    page.click("#reset")
    page.wait_for_url("**data=csv**")
    sync_api.expect(page.locator("#error")).to_have_text("")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")
