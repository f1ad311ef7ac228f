"""The page in a real browser: Debian's chromium, headless, driven by Playwright.

Uploads a picture of a digit and draws another with mouse moves, then reads
the predicted class from the page. Skipped where chromium or Playwright is
missing (CI installs both: see .ci/run).
"""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import glassnet as gn
from glassnet.web import create_app
from helpers import needs_mnist, serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow, needs_mnist,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(mnist, mnist_model_file):
    _, test = mnist
    with serving(create_app(gn.load(mnist_model_file))) as address:
        yield address, test


@pytest.fixture(scope="module")
def page():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        pg = browser.new_page(viewport={"width": 1200, "height": 800})
        yield pg
        browser.close()


def stroke(page, points):
    page.locator("#canvas").scroll_into_view_if_needed()
    box = page.locator("#canvas").bounding_box()
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + points[0][0], y0 + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(x0 + x, y0 + y, steps=8)
    page.mouse.up()


def test_upload_and_draw(server, page, tmp_path):
    url, test = server
    page.goto(url)
    sync_api.expect(page.locator("#model-info")).to_contain_text("28x28 input → 256 → 128 → 10")

    # an MNIST test picture, dark ink on white, enlarged: the label is 7
    img = Image.fromarray(255 - (test.X[0].reshape(28, 28) * 255).astype(np.uint8)).resize((240, 240))
    img.save(tmp_path / "seven.png")
    page.set_input_files("#file", str(tmp_path / "seven.png"))
    sync_api.expect(page.locator("#prediction")).to_have_text("7")
    assert page.locator("#bars .bar").count() == 10
    assert page.locator("#bars .bar.best").get_attribute("data-cls") == "7"

    # a "1" drawn with the mouse: one vertical stroke, answered when the pen lifts, no click needed
    page.click("#clear")
    stroke(page, [(140, 40), (142, 140), (144, 240)])
    sync_api.expect(page.locator("#prediction")).to_have_text("1")
    sync_api.expect(page.locator("#result")).not_to_have_class("stale")
    # the saliency heatmap lies over the preview; switched off, the canvas is cleared
    painted = "() => document.getElementById('saliency').getContext('2d')" \
              ".getImageData(0, 0, 168, 168).data.filter((v, i) => i % 4 === 3 && v > 0).length"
    assert page.evaluate(painted) > 100
    page.uncheck("#show-saliency")
    assert page.evaluate(painted) == 0
    # the preview shows what the network saw: a lit stroke in the middle of a dark square
    preview = page.locator("#preview").screenshot()
    (tmp_path / "preview.png").write_bytes(preview)
    seen = np.asarray(Image.open(tmp_path / "preview.png").convert("L"), dtype=float)
    h, w = seen.shape
    assert seen[:, w // 2 - 8: w // 2 + 8].mean() > 3 * seen[:, : w // 5].mean()

    page.check("#show-saliency")
    assert page.evaluate(painted) > 100
    # the heat map is smoothed and never opaque, so that the digit shows through: neighbouring pixels
    # of the map mostly differ (a map blown up pixel by pixel repeats each value six times)
    alpha = np.array(page.evaluate("() => Array.from(document.getElementById('saliency').getContext('2d')"
                                   ".getImageData(0, 0, 168, 168).data.filter((v, i) => i % 4 === 3))"))
    alpha = alpha.reshape(168, 168)
    assert np.mean(alpha[:, 1:] == alpha[:, :-1]) < 0.5 and alpha.max() <= 170

    # a "7" drawn as a bar and a diagonal: while the pen is down the old answer is marked out of date
    page.click("#clear")
    stroke(page, [(60, 50), (220, 50), (120, 250)])
    sync_api.expect(page.locator("#prediction")).to_have_text("7")
    box = page.locator("#canvas").bounding_box()
    page.mouse.move(box["x"] + 90, box["y"] + 150)
    page.mouse.down()
    page.mouse.move(box["x"] + 170, box["y"] + 150, steps=4)  # the crossbar, still drawing
    sync_api.expect(page.locator("#result")).to_have_class("stale")
    sync_api.expect(page.locator("#status")).to_contain_text("the answer below is for the picture before this stroke")
    page.screenshot(path=str(tmp_path / "stale.png"), full_page=True)
    page.mouse.up()
    sync_api.expect(page.locator("#result")).not_to_have_class("stale")
    sync_api.expect(page.locator("#prediction")).to_have_text("7")
    shot = os.environ.get("GLASSNET_SCREENSHOT")
    page.screenshot(path=shot or str(tmp_path / "page.png"), full_page=True)

    # an upload replaces the drawing: the canvas is white again
    page.set_input_files("#file", str(tmp_path / "seven.png"))
    sync_api.expect(page.locator("#file-name")).to_have_text("seven.png")
    ink = "() => document.getElementById('canvas').getContext('2d').getImageData(0, 0, 280, 280).data" \
          ".filter((v, i) => i % 4 === 0 && v < 128).length"
    assert page.evaluate(ink) == 0


def test_error_is_shown_on_the_page(server, page, tmp_path):
    url, _ = server
    page.goto(url)
    (tmp_path / "notes.png").write_bytes(b"this is not a picture")
    page.set_input_files("#file", str(tmp_path / "notes.png"))
    sync_api.expect(page.locator("#error")).to_contain_text("is not a picture glassnet can read")


def test_an_error_clears_the_previous_result_and_clear_resets_everything(server, page, tmp_path):
    url, test = server
    page.goto(url)
    sync_api.expect(page.locator("#preview-note")).to_contain_text("appears here")  # not a black square
    img = Image.fromarray(255 - (test.X[1].reshape(28, 28) * 255).astype(np.uint8)).resize((200, 200))
    img.save(tmp_path / "two.png")
    page.set_input_files("#file", str(tmp_path / "two.png"))
    sync_api.expect(page.locator("#prediction")).to_have_text(str(test.y[1]))
    (tmp_path / "notes.png").write_bytes(b"this is not a picture")
    page.set_input_files("#file", str(tmp_path / "notes.png"))
    sync_api.expect(page.locator("#error")).to_contain_text("is not a picture glassnet can read")
    assert page.locator("#prediction").text_content() == "" and page.locator("#bars .bar").count() == 0
    assert "0x" not in page.locator("#error").text_content()  # no internals in the message
    page.set_input_files("#file", str(tmp_path / "two.png"))
    sync_api.expect(page.locator("#prediction")).to_have_text(str(test.y[1]))
    page.click("#clear")
    assert page.locator("#prediction").text_content() == "" and page.locator("#error").text_content() == ""
    assert page.locator("#file-name").text_content() == "" and page.locator("#bars .bar").count() == 0


def test_hostile_class_names_render_as_text_and_run_nothing(page, mnist, mnist_model, tmp_path_factory):
    """A model whose class names hold HTML and script: the page shows them as text, and the headers hold."""
    _, test = mnist
    names = ['<img src=x onerror="window.pwned=1">', "<script>window.pwned=2</script>", "<b>2</b>",
             "3", "4", "5", "6", "7", "8", "9"]
    path = tmp_path_factory.mktemp("hostile") / "hostile.glassnet"
    gn.save(path, mnist_model, metadata={"dataset": "mnist", "classes": names, "image_shape": [28, 28]})
    with serving(create_app(gn.load(path))) as address:
        pg = page.context.browser.new_page()  # a page of its own in the same browser
        violations = []
        pg.on("console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text
              else None)
        response = pg.goto(address)
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        shot = tmp_path_factory.mktemp("shots")
        for i in (0, 1, 3):  # digits whose names are the hostile ones, and an ordinary one
            img = Image.fromarray(255 - (test.X[i].reshape(28, 28) * 255).astype(np.uint8)).resize((200, 200))
            img.save(shot / f"d{i}.png")
            pg.set_input_files("#file", str(shot / f"d{i}.png"))
            sync_api.expect(pg.locator("#prediction")).to_have_text(names[int(test.y[i])])
        labels = [pg.locator("#bars .bar span").nth(2 * k).text_content() for k in range(10)]
        assert labels == names  # the markup shown as text, character for character
        assert pg.locator("#bars img, #bars script, #bars b, #prediction img, #prediction b").count() == 0
        assert pg.evaluate("window.pwned") is None
        out = os.environ.get("GLASSNET_SCREENSHOT_HOSTILE")
        pg.screenshot(path=out or str(shot / "hostile.png"), full_page=True)
        assert not violations, violations  # the page itself needs nothing the policy forbids
        pg.close()


def test_a_conv_net_on_the_page_with_its_saliency(page, mnist, mnist_cnn, tmp_path_factory):
    """The page with a conv net: its layers in the description, and the heatmap over what it saw."""
    _, test = mnist
    folder = tmp_path_factory.mktemp("cnn-page")
    path = gn.save(folder / "cnn.glassnet", mnist_cnn, metadata={"dataset": "mnist", "classes": test.classes,
                                                                 "image_shape": [28, 28]})
    with serving(create_app(gn.load(path))) as address:
        pg = page.context.browser.new_page(viewport={"width": 1200, "height": 800})
        pg.goto(address)
        sync_api.expect(pg.locator("#model-info")).to_contain_text("28x28 input → conv 32 → conv 64 → 128 → 10")
        img = Image.fromarray(255 - (test.X[0].reshape(28, 28) * 255).astype(np.uint8)).resize((240, 240))
        img.save(folder / "seven.png")
        pg.set_input_files("#file", str(folder / "seven.png"))
        sync_api.expect(pg.locator("#prediction")).to_have_text("7")
        heat = pg.locator("#saliency").screenshot()
        (folder / "heat.png").write_bytes(heat)
        pixels = np.asarray(Image.open(folder / "heat.png").convert("RGB"), dtype=float)
        out = os.environ.get("GLASSNET_SCREENSHOT_CNN")
        pg.screenshot(path=out or str(folder / "cnn-page.png"), full_page=True)
        # both signs drawn over the picture, the digit still seen through them: its strokes (the
        # bright pixels) tinted red where they raise the score, the ground around tinted blue
        ink = pixels.mean(axis=2) > 150
        red = np.mean(pixels[ink, 0] - pixels[ink, 2] > 40)
        blue = np.mean(pixels[~ink, 2] - pixels[~ink, 0] > 20)
        assert 0.05 < ink.mean() < 0.3 and red > 0.2 and blue > 0.1, (ink.mean(), red, blue)
        pg.close()
