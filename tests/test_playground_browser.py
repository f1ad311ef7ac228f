"""The playground in a real browser (Debian's chromium through Playwright): learn the spiral, inspect, edit, export,
reopen the link, and meet bad input. Skipped where chromium or Playwright is missing (CI installs both)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import glassnet as gn
from glassnet.web import create_app
from helpers import serving

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")]
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
ACCURACY = "() => Number(document.getElementById('status').dataset.testAccuracy) > 0.9"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m.glassnet"
    gn.save(path, gn.mlp([64, 10], rng=0), metadata={"image_shape": [8, 8], "classes": list("0123456789")})
    with serving(create_app(gn.load(path)), threads=4) as address:
        yield address + "playground"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def status(page, key):
    return page.locator("#status").get_attribute(f"data-{key}")


def page_with(browser, script, url):
    """A new browser context whose pages run ``script`` before their own, and a page of it at ``url``."""
    context = browser.new_context()
    context.add_init_script(script)
    page = context.new_page()
    page.goto(url)
    return context, page


# each training request answered 1 s late; the most ever on their way at once is kept
SLOW_TRAINING = """
const fetchNow = window.fetch.bind(window);
window.training = 0;
window.mostAtOnce = 0;
window.fetch = async (url, options) => {
  if (!String(url).endsWith("/train")) return fetchNow(url, options);
  window.mostAtOnce = Math.max(window.mostAtOnce, ++window.training);
  try {
    const answer = await fetchNow(url, options);
    await new Promise((done) => setTimeout(done, 1000));
    return answer;
  } finally { window.training -= 1; }
};
"""


def test_pause_and_play_again_before_the_frame_arrives_keeps_one_training_loop(server, browser):
    context, page = page_with(browser, SLOW_TRAINING, server + "?data=xor")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")
    page.click("#play")
    page.wait_for_function("() => window.training === 1")
    page.click("#play")  # pause: the frame asked for is still on its way...
    page.click("#play")  # ...when play is pressed again
    assert page.evaluate("window.training") == 1  # (the race under test: the first loop still waits)
    sync_api.expect(page.locator("#play")).to_have_text("Pause")
    page.wait_for_function("() => Number(document.getElementById('status').dataset.step) > 0")
    page.click("#play")
    page.wait_for_function("() => !document.getElementById('play').dataset.running")
    assert page.evaluate("window.mostAtOnce") == 1  # two loops would have asked twice at once
    context.close()


# the first request for a session is answered "busy", as the server answers one whose turn to compute did
# not come within its wait, having made nothing
BUSY_START = """
const fetchNow = window.fetch.bind(window);
window.busyStarts = 0;
window.fetch = async (url, options) => {
  if (!String(url).endsWith("/sessions") || window.busyStarts >= 2) return fetchNow(url, options);
  window.busyStarts += 1;
  return new Response(JSON.stringify({error: "the playground is busy with other learners' requests: send it again"}),
                      {status: 503, headers: {"Content-Type": "application/json", "Retry-After": "0.05"}});
};
"""


def test_a_page_opened_while_the_server_is_busy_starts_its_run_when_it_is_free(server, browser):
    """Thirty learners opening the page at once on a slow server: the busy answer ended the page in an error
    ("the playground is busy ...: send it again") and no run, where a frame answered busy is sent again."""
    context, page = page_with(browser, BUSY_START, server + "?data=xor")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")
    assert page.evaluate("window.busyStarts") == 2
    assert page.locator("#error").text_content() == "" and page.locator("#notice").text_content() == ""
    page.click("#epoch")
    page.wait_for_function("() => Number(document.getElementById('status').dataset.step) > 0")
    context.close()


# the first training request's steps are taken, but it is answered "busy" with where the session stands,
# as the server answers a request that lost its turn and found no other for its frame
BUSY_AFTER_STEPS = """
const fetchNow = window.fetch.bind(window);
window.busyOnce = false;
window.fetch = async (url, options) => {
  const answer = await fetchNow(url, options);
  if (!String(url).endsWith("/train") || window.busyOnce) return answer;
  window.busyOnce = true;
  const step = window.busyStep = (await answer.json()).step;
  return new Response(JSON.stringify({error: "busy: send it again", step}),
                      {status: 503, headers: {"Content-Type": "application/json", "Retry-After": "1"}});
};
"""


@pytest.mark.parametrize("steps", [1500, 800])
def test_a_replayed_link_counts_the_steps_a_busy_answer_says_were_taken(server, browser, steps):
    # 1,500: two requests of at most 1,000 steps, the first answered busy; it asked for all 1,500 again after
    # it, and ended at 2,000. 800: one request, answered busy; the page stayed at step 0, the session at 800
    context, page = page_with(browser, BUSY_AFTER_STEPS, server + f"?data=xor&steps={steps}")
    page.wait_for_function(f"() => Number(document.getElementById('status').dataset.step) >= {steps}",
                           timeout=60_000)
    page.wait_for_function("() => document.getElementById('notice').textContent === ''")
    assert page.evaluate("window.busyOnce")
    assert status(page, "step") == str(steps)
    context.close()


def test_steps_a_busy_answer_says_were_taken_are_drawn(server, browser):
    """The epoch button's request took its steps but was answered busy: the page kept its old frame."""
    context, page = page_with(browser, BUSY_AFTER_STEPS, server + "?data=xor")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")
    page.click("#epoch")
    page.wait_for_function("() => window.busyStep > 0")
    page.wait_for_function("() => document.getElementById('status').dataset.step === String(window.busyStep)",
                           timeout=10_000)
    context.close()


# as BUSY_AFTER_STEPS, and then the frame asked for without training is answered busy each time ("busy"), or
# comes late ("slow")
FRAME_AFTER_BUSY = BUSY_AFTER_STEPS.replace("fetchNow", "fetchFirst").replace(
    "window.fetch = async", "const busyTrain = async") + """
window.frameMode = "busy";
window.frameAsked = 0;
window.fetch = async (url, options) => {
  if (!String(url).endsWith("/frame")) return busyTrain(url, options);
  window.frameAsked += 1;
  if (window.frameMode === "busy") {
    return new Response(JSON.stringify({error: "busy: send it again"}),
                        {status: 503, headers: {"Content-Type": "application/json", "Retry-After": "0.05"}});
  }
  const answer = await fetchFirst(url, options);  // the old session's frame, answered before the reset...
  await new Promise((done) => setTimeout(done, 1500));  // ...arrives after it
  return answer;
};
"""


@pytest.mark.parametrize("mode", ["busy", "slow"])
def test_a_frame_the_server_keeps_busy_or_a_reset_overtakes_is_said_or_dropped(server, browser, mode):
    """busy: the page gave up asking without a word, and showed an earlier step than the session's. slow: the
    answer for a session that a reset had replaced was drawn over the new run."""
    script = FRAME_AFTER_BUSY.replace('window.frameMode = "busy"', f'window.frameMode = "{mode}"')
    context, page = page_with(browser, script, server + "?data=xor")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")
    page.click("#epoch")
    page.wait_for_function("() => window.frameAsked > 0")
    if mode == "busy":
        sync_api.expect(page.locator("#notice")).to_contain_text("earlier step than the network has reached")
        assert page.evaluate("window.frameAsked") == 10
    else:
        page.click("#reset")
        page.wait_for_timeout(2500)  # the late frame of the replaced session has come by now
        assert status(page, "step") == "0" and page.locator("#error").text_content() == ""
    context.close()


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
    page.wait_for_function("() => !document.getElementById('play').dataset.running")
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
    # the step Adam takes, from its running averages: not plain SGD's lr * dJ/dw
    sync_api.expect(page.locator("#detail")).to_contain_text("the next step, as Adam takes it: ")
    sync_api.expect(page.locator("#detail")).to_contain_text("w - lr m_hat / (sqrt(v_hat) + eps) = ")
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

    # the link, in a fresh browser, reopens the run where it was: its step, its edit, the same numbers
    assert f"steps={steps}" in page.url
    fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    fresh.goto(page.url)
    sync_api.expect(fresh.locator("#status")).to_contain_text(f"step {steps} ", timeout=60_000)
    assert float(status(fresh, "train-loss")) == loss
    assert errors == []


def test_bad_input_gets_a_message_on_the_page(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server)
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")

    page.fill("#lr", "1e6")
    page.click("#reset")
    sync_api.expect(page.locator("#error")).to_have_text("lr must be above 0 and at most 10; received 1e+06")
    assert page.input_value("#lr") == "0.03"  # the form went back to the run that is still there

    for _ in range(5):  # 2 + 5 = 7 hidden layers: one beyond the bound
        page.click("#add-layer")
    page.click("#reset")
    sync_api.expect(page.locator("#error")).to_contain_text("at most 6 hidden layers; received 7")
    assert page.locator(".layer").count() == 2  # the form shows the run that is still there, not the refused one
    for _ in range(4):  # 2 + 4 = 6: the most there may be
        page.click("#add-layer")
    page.click("#reset")
    sync_api.expect(page.locator("#network .column")).to_have_count(1 + 6 + 1)  # inputs, 6 hidden layers, output
    sync_api.expect(page.locator("#error")).to_have_text("")

    page.select_option("#data", "csv")
    sync_api.expect(page.locator("#notice")).to_contain_text("Choose your CSV file")
    cases = {
        "text.csv": ("x1,x2,class\n0.1,0.2,0\n0.3,<b>bold</b>,1\n", "line 3, column 2 must be a number"),
        "three.csv": ("1,2,3,0\n4,5,6,1\n", "every row must hold 3 values"),
        "one-class.csv": ("1,2,0\n3,4,0\n5,6,0\n", "at least 2 classes; received only class 0"),
        "million.csv": ("1,2,0\n" * 10**6, "The CSV file must be at most 1,000,000 bytes"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        page.set_input_files("#csv", str(tmp_path / name))  # a data change applies at once
        sync_api.expect(page.locator("#error")).to_contain_text(message)
        assert page.locator("#error b").count() == 0  # text stays text
    page.screenshot(path=tmp_path / "3-bad-csv.png")
    (tmp_path / "good.csv").write_text("x1,x2,class\n" + "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(60)))
    page.set_input_files("#csv", str(tmp_path / "good.csv"))
    page.wait_for_url("**data=csv**")
    sync_api.expect(page.locator("#error")).to_have_text("")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")
    # a CSV run opened from a run file takes new settings on its own points: "Choose a CSV file" was all it said
    run = {"format": "glassnet-playground-run", "query": "data=csv&layers=4&activations=tanh&lr=0.03",
           "csv": "".join(f"{i % 7},{i % 5},{i % 2}\n" for i in range(60)), "steps": 3}
    (tmp_path / "run.json").write_text(json.dumps(run))
    page.reload()  # a fresh page: no file chosen in its CSV field
    page.set_input_files("#open-run", str(tmp_path / "run.json"))
    sync_api.expect(page.locator("#status")).to_contain_text("step 3")
    page.fill("#lr", "0.1")
    page.click("#reset")
    page.wait_for_url("**lr=0.1**")
    sync_api.expect(page.locator("#error")).to_have_text("")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")


def in_view(page, selector):
    """Whether the element's box lies wholly inside the viewport, with nothing scrolled."""
    return page.evaluate(f"""() => {{ const r = document.querySelector("{selector}").getBoundingClientRect();
        return r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; }}""")


@pytest.mark.parametrize("size", [(1280, 860), (1920, 1080)])
def test_the_layout_reads_at_1280_and_1920(server, browser, tmp_path, size):
    """The inspector beside the run above the fold, the buttons inside their boxes, the loss chart with its
    axes and the neurons' colour scale, and a weight's step as Adam takes it."""
    width, height = size
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(server + "?data=spiral&noise=0.1")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")
    page.click("#epoch")
    sync_api.expect(page.locator("#status")).to_contain_text("step 20 ")
    assert in_view(page, "#inspect h2") and in_view(page, "#gradcheck") and in_view(page, "#output")
    for box in page.locator(".layer").all():  # every control of a layer's row inside the settings panel
        right = page.evaluate("(row) => Math.max(...[...row.children].map((c) => c.getBoundingClientRect().right))",
                              box.element_handle())
        panel = page.locator("#settings").bounding_box()
        assert right <= panel["x"] + panel["width"] - 8, (right, panel)
    # the loss chart's axes: labelled ticks drawn left of and under the plot
    inked = """([x0, x1, y0, y1]) => { const c = document.getElementById('loss'); const d = c.getContext('2d')
        .getImageData(x0, y0, x1 - x0, y1 - y0).data; let n = 0; for (let k = 3; k < d.length; k += 4) n += d[k] > 0;
        return n; }"""
    assert page.evaluate(inked, [0, 40, 0, 200]) > 50 and page.evaluate(inked, [44, 288, 172, 200]) > 50
    assert page.locator(".scale .bar.neurons").is_visible()
    assert page.locator(".scale").inner_text().replace("\n", " ").split() == ["−1", "+1"]
    page.locator(".neuron").nth(2).click()
    page.locator("#weights button").first.click()
    sync_api.expect(page.locator("#detail")).to_contain_text("as Adam takes it")
    page.click("#gradcheck")
    sync_api.expect(page.locator("#gradcheck-table")).to_contain_text("layer 1 W")  # the page's own numbering
    assert "layers[" not in page.locator("#gradcheck-table").inner_text()
    page.screenshot(path=tmp_path / f"playground-{width}x{height}.png")
    assert page.locator("header a[href='/']").count() == 1  # served with the digit page: linked


def test_the_playground_alone_links_to_no_digit_page(browser, tmp_path):

    with serving(create_app(None)) as address:
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.goto(address + "playground")
        sync_api.expect(page.locator("#status")).to_contain_text("step 0")
        assert page.locator("header a").count() == 0  # there is no digit page to go to
        page.close()


def test_dead_neurons_are_marked_and_say_why(server, browser, tmp_path):
    """ReLU units killed by a learning rate of 1 get a dashed red outline; a click says what the diagnosis found."""
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "?layers=8,8&activations=relu,relu&optimizer=sgd&lr=1")
    sync_api.expect(page.locator("#status")).to_contain_text("step 0")
    assert page.locator(".neuron.dead").count() == 0  # a fresh network: none
    page.screenshot(path=tmp_path / "before.png")
    for _ in range(3):
        step = int(status(page, "step"))
        page.click("#epoch")
        page.wait_for_function(f"() => Number(document.getElementById('status').dataset.step) > {step}")
    dead = page.locator(".neuron.dead")
    sync_api.expect(dead.first).to_be_visible()
    outline = dead.first.evaluate("c => getComputedStyle(c).outlineStyle + ' ' + getComputedStyle(c).outlineColor")
    assert outline == "dashed rgb(192, 57, 43)"
    assert "(dead: click for why)" in dead.first.get_attribute("title")
    dead.first.click()
    sync_api.expect(page.locator("#detail")).to_contain_text("dead_relu: it outputs 0 for every training point")
    page.screenshot(path=tmp_path / "after.png")
    alive = page.locator(".neuron:not(.dead)")
    assert alive.count() > 0
    alive.first.click()
    sync_api.expect(page.locator("#detail")).not_to_contain_text("dead_relu")
    if (shots := os.environ.get("GLASSNET_SCREENSHOTS")):
        for name in ("before.png", "after.png"):
            shutil.copy(tmp_path / name, Path(shots) / f"playground-marks-{name}")
    assert not errors
