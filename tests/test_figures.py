"""save_figure: a PNG drawn once and cut to its tight box is matplotlib's own tight picture; where it could not be
(something drawn past the canvas, a figure that is not plain white, another background asked of savefig, another
format), matplotlib writes it."""

import shutil
import unicodedata

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.artist import Artist  # noqa: E402
from PIL import Image  # noqa: E402

from glassnet.tools import figures, fonts  # noqa: E402
from glassnet.tools.confusion_plot import confusion_picture  # noqa: E402


class Counter(Artist):
    """Draws nothing; counts the figure's draws."""

    def __init__(self):
        super().__init__()
        self.draws = 0

    def draw(self, renderer):
        self.draws += 1


def sample_figure(outside=False):
    fig, ax = figures.figure(figsize=(4, 3))
    fig.subplots_adjust(bottom=0.2)  # room for the axis label inside the canvas
    ax.plot([0, 1, 2], [1, 0, 2])
    ax.set_xlabel("epoch")
    ax.set_title("a title")
    if outside:  # a note below the canvas: only a larger canvas holds it
        fig.text(0.5, -0.2, "a note below the figure")
    counter = Counter()
    fig.add_artist(counter)
    return fig, counter


def matplotlib_tight(fig, path):
    fig.savefig(path, dpi=figures.DPI, bbox_inches="tight", format="png")
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=float)


def pixels(path):
    with Image.open(path) as img:
        return img.info.get("dpi"), np.asarray(img.convert("RGB"), dtype=float)


def closest_difference(a, b):
    """The mean difference of two pictures of nearly one size, at the best of a few pixel offsets."""
    h, w = min(a.shape[0], b.shape[0]) - 2, min(a.shape[1], b.shape[1]) - 2
    return min(np.abs(a[i:i + h, j:j + w] - b[k:k + h, m:m + w]).mean()
               for i in range(3) for j in range(3) for k in range(3) for m in range(3))


def test_a_png_is_drawn_once_and_is_matplotlibs_tight_picture(tmp_path):
    fig, counter = sample_figure()
    canvas, dpi = fig.canvas, fig.dpi
    figures.save_figure(fig, tmp_path / "once.png")
    assert counter.draws == 1  # matplotlib's tight box alone draws twice
    assert fig.canvas is canvas and fig.dpi == dpi  # the figure as it was
    dots, once = pixels(tmp_path / "once.png")
    assert dots == pytest.approx((figures.DPI, figures.DPI), abs=0.01)
    tight = matplotlib_tight(fig, tmp_path / "tight.png")
    assert once.shape == tight.shape
    assert closest_difference(once, tight) < 4  # of 255: anti-aliasing at another sub-pixel offset
    assert (once[:4] == 255).all() and (once[:, :4] == 255).all()  # the margin is the white background


def test_what_reaches_past_the_canvas_is_left_to_matplotlib(tmp_path):
    fig, counter = sample_figure(outside=True)
    figures.save_figure(fig, tmp_path / "wide.png")
    assert counter.draws == 3  # the once-drawn try, then matplotlib's two
    _, written = pixels(tmp_path / "wide.png")
    assert written.shape[0] > 3 * figures.DPI  # taller than the canvas: the note is in
    np.testing.assert_array_equal(written, matplotlib_tight(fig, tmp_path / "tight.png"))


@pytest.mark.parametrize("size", [(3.1, 2.7), (5.55, 4.05), (7.3, 3.3)])
def test_the_picture_has_the_size_of_matplotlibs_tight_one(tmp_path, size):
    fig, _ = sample_figure()
    fig.set_size_inches(*size)
    figures.save_figure(fig, tmp_path / "once.png")
    assert pixels(tmp_path / "once.png")[1].shape == matplotlib_tight(fig, tmp_path / "tight.png").shape


def test_a_window_the_figure_has_is_not_resized(tmp_path):
    """A figure shown on screen: its canvas has a manager that the figure's dpi would resize; savefig spares it."""
    from matplotlib.backend_bases import FigureCanvasBase

    fig, counter = sample_figure()
    canvas = FigureCanvasBase(fig)
    resized = []
    canvas.manager = type("Manager", (), {"resize": lambda self, w, h: resized.append((w, h))})()
    figures.save_figure(fig, tmp_path / "once.png")
    assert counter.draws == 1 and resized == [] and fig.canvas is canvas and fig.dpi == 100


@pytest.mark.parametrize("look", [{"facecolor": "none"}, {"facecolor": (1, 1, 1, 0.3)}, {"facecolor": "#eeeeee"},
                                  {"edgecolor": "red", "linewidth": 4}], ids=["clear", "translucent", "grey", "framed"])
def test_a_figure_that_is_not_plain_white_is_left_to_matplotlib(tmp_path, look):
    fig, counter = sample_figure()
    fig.set(**look)
    figures.save_figure(fig, tmp_path / "own.png")
    assert counter.draws == 2  # matplotlib's two: the look is refused before any drawing of its own
    np.testing.assert_array_equal(pixels(tmp_path / "own.png")[1], matplotlib_tight(fig, tmp_path / "tight.png"))


@pytest.mark.parametrize("setting", [{"savefig.transparent": True}, {"savefig.facecolor": "yellow"}])
def test_another_background_asked_of_savefig_is_left_to_matplotlib(tmp_path, setting):
    fig, counter = sample_figure()
    with matplotlib.rc_context(setting):
        figures.save_figure(fig, tmp_path / "bg.png")
        tight = matplotlib_tight(fig, tmp_path / "tight.png")
    assert counter.draws == 4  # two for save_figure, two for the reference: none drawn once
    np.testing.assert_array_equal(pixels(tmp_path / "bg.png")[1], tight)


def test_other_formats_are_matplotlibs(tmp_path):
    fig, counter = sample_figure()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        text = figures.save_figure(fig, tmp_path / "c.svg").read_text()
    assert counter.draws == 2 and "a title" in text


def test_the_confusion_picture_of_ten_classes_is_drawn_once(tmp_path, monkeypatch):
    drawn = []
    once = figures._drawn_once
    monkeypatch.setattr(figures, "_drawn_once", lambda fig: drawn.append(once(fig)) or drawn[-1])
    matrix = np.random.default_rng(0).integers(0, 40, (10, 10))
    confusion_picture(matrix, [str(d) for d in range(10)], tmp_path / "m.png")
    assert drawn[0] is not None  # the class names and precisions fit the canvas
    with Image.open(tmp_path / "m.png") as img:
        assert 800 < img.size[0] < 900 and 800 < img.size[1] < 950


# -- text in scripts the default font lacks ------------------------------------------------------------------

def real_fonts():
    """Each installed font's family and code points, leaving out placeholder fonts that claim every one."""
    from matplotlib.font_manager import findSystemFonts, fontManager

    listed = [(entry.name, entry.fname) for entry in fontManager.ttflist]
    unlisted = [("", path) for path in findSystemFonts() if path not in {fname for _, fname in listed}]
    return [(name, fonts._characters(path)) for name, path in listed + unlisted
            if len(fonts._characters(path)) <= fonts.MOST_GLYPHS]


def default_font_characters():
    from matplotlib.font_manager import FontProperties, findfont

    return fonts._characters(findfont(FontProperties()))


def test_a_class_name_the_default_font_lacks_is_drawn_in_an_installed_font_that_has_it(tmp_path):
    """The confusion picture takes a character DejaVu Sans lacks from another installed font, without a warning
    (warnings are errors here): matplotlib's own fonts (STIX) hold math letters that DejaVu Sans has not."""
    default = default_font_characters()
    name, char = next((name, chr(c)) for name, chars in real_fonts() for c in sorted(chars)
                      if c not in default and unicodedata.category(chr(c))[0] in "LS")  # a letter or symbol
    fig, ax = figures.figure(figsize=(3, 2))
    label = ax.set_title(f"class {char}")
    assert fonts.cover_missing_glyphs(fig) == ""
    assert label.get_fontfamily()[-1] == name
    figures.save_figure(fig, tmp_path / "f.png")
    confusion_picture(np.eye(2, dtype=int), ["a", char], tmp_path / "m.png")


def test_characters_no_installed_font_has_give_one_warning_not_one_per_character(tmp_path):
    installed = [chars for _, chars in real_fonts()]
    candidates = "猫𓀀𒀀ꦄ𐌰"  # a Chinese character, then Egyptian, cuneiform, Javanese and Gothic letters
    absent = [c for c in candidates if not any(ord(c) in chars for chars in installed)]
    if not absent:
        pytest.skip("every candidate character has an installed font here")
    names = [absent[0] + "1", absent[0] + "2"]
    with pytest.warns(UserWarning) as caught:
        confusion_picture(np.eye(2, dtype=int), names, tmp_path / "m.png")
    assert len(caught) == 1
    assert f"characters {absent[0]!r}" in str(caught[0].message) and "Noto Sans CJK" in str(caught[0].message)
    assert caught[0].filename == __file__  # pointed at the caller's line
    assert (tmp_path / "m.png").exists()


def test_a_font_installed_after_matplotlibs_font_list_was_made_is_found(monkeypatch):
    """matplotlib lists the fonts once and keeps the list on disk: a font installed since is found among the
    system's font files, and added to the list."""
    from matplotlib import font_manager

    default = default_font_characters()
    entry = next(e for e in font_manager.fontManager.ttflist if len(fonts._characters(e.fname)) <= fonts.MOST_GLYPHS
                 and any(c not in default and unicodedata.category(chr(c))[0] in "LS"
                         for c in fonts._characters(e.fname)))
    char = next(c for c in sorted(fonts._characters(entry.fname)) if c not in default)
    monkeypatch.setattr(font_manager.fontManager, "ttflist",  # as if no listed font had the character
                        [e for e in font_manager.fontManager.ttflist if char not in fonts._characters(e.fname)])
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda: [entry.fname])
    assert fonts._fallback({char}) == entry.name
    assert font_manager.fontManager.ttflist[-1].fname == entry.fname


def test_characters_that_no_one_font_has_together_each_come_from_a_font_that_has_it(tmp_path):
    """One fallback font had to hold every missing character of the figure: two characters found only in two
    different fonts were both drawn as boxes, with a warning that no font had them. A figure saved twice is
    given each font once."""
    default, fonts_here = default_font_characters(), real_fonts()
    extra = {name: {c for c in chars if c not in default and unicodedata.category(chr(c))[0] in "LS"}
             for name, chars in fonts_here if name}
    pair = next(((a, b) for a in sorted(set().union(*extra.values())) for b in sorted(set().union(*extra.values()))
                 if not any(a in chars and b in chars for _, chars in fonts_here)), None)
    if pair is None:
        pytest.skip("every two characters the default font lacks share an installed font here")
    fig, ax = figures.figure(figsize=(3, 2))
    label = ax.set_title(f"{chr(pair[0])} and {chr(pair[1])}")
    assert fonts.cover_missing_glyphs(fig) == ""  # no warning: warnings are errors here
    families = label.get_fontfamily()
    assert len(families) == 3 and len(set(families)) == 3
    figures.save_figure(fig, tmp_path / "a.png")
    figures.save_figure(fig, tmp_path / "b.png")
    assert label.get_fontfamily() == families


def test_pgf_is_a_format_only_where_latex_is_installed(tmp_path, monkeypatch, capsys):
    """matplotlib lists .pgf among the formats it writes, but writing one runs LaTeX: without it, train ran to
    its end and then stopped with a traceback ("'xelatex' not found"), its plot unwritten."""
    from glassnet import cli

    monkeypatch.setattr(figures.shutil, "which", lambda name: None)
    with pytest.raises(figures.OptionError, match=r"--plot must end with a picture format matplotlib writes"):
        figures.check_path(tmp_path / "curves.pgf", "--plot")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "--epochs", "1", "--layers", "4", "--quiet", "--plot", "curves.pgf"]) == 2
    assert "--plot must end with a picture format" in capsys.readouterr().err
    assert not (tmp_path / "glassnet-out" / "model.glassnet").exists()  # refused before any training
    monkeypatch.setattr(figures.shutil, "which", lambda name: f"/usr/bin/{name}")
    assert figures.check_path(tmp_path / "curves.pgf", "--plot").suffix == ".pgf"


def _drawn(monkeypatch):
    """The figures the plot functions save, kept to be looked at."""
    from glassnet.tools import plots

    kept = []
    save = plots.save_figure
    monkeypatch.setattr(plots, "save_figure", lambda fig, path, *a: kept.append(fig) or save(fig, path, *a))
    return kept


def test_a_decision_boundary_draws_every_class_in_a_colour_of_its_own(tmp_path, monkeypatch):
    """Past ten classes the points of classes 10 and up were left out (ten markers) and their regions all took
    tab10's last colour."""
    from matplotlib.collections import PathCollection

    import glassnet as gn
    from glassnet.tools import plots

    for k in (1, 2, 3, 10, 11, 20, 21, 40):
        assert len({tuple(np.atleast_1d(c)) if not isinstance(c, str) else c for c in plots.class_colours(k)}) \
            >= max(k, 2)
    kept = _drawn(monkeypatch)
    X = np.random.default_rng(0).normal(size=(60, 2))
    y = np.repeat(np.arange(12), 5)
    plots.decision_boundary(gn.mlp([2, 8, 12], rng=0), X, y, tmp_path / "twelve.png")
    ax = kept[-1].axes[0]
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points) == 12 and sum(len(c.get_offsets()) for c in points) == 60
    assert len({tuple(c.get_facecolor()[0]) for c in points}) == 12
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"class {c}" for c in range(12)]


@pytest.mark.parametrize(("X", "y", "message"), [
    ([[0, 0], [0, 1], [1, 0], [1, 1]], [-1, 1, 1, 1], r"received -1 \(labels of -1 and 1 are classes 0 and 1"),
    ([[0, 0], [0, 1], [1, 0], [1, 1]], [-5.0, 0.5, 1.0, 2.0], r"a decision boundary is a classifier's\); received "
                                                               r"values such as \[-5.0, 0.5, 1.0\]"),
    ([[0, 0], [0, 1], [1, 0], [1, 1]], ["no", "yes", "yes", "yes"], "y must hold class numbers"),
    ([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1], r"one class per point of X \(4\); received shape \(2,\)"),
    ([[0, 0], [np.nan, 1]], [0, 1], "X must hold finite values; received 1 NaN"),  # it counted the grid's 90,000
    ([[0, 0, 1], [1, 1, 0]], [0, 1], r"X must hold points of two coordinates, one row each; received shape \(2, 3\)"),
])
def test_a_decision_boundary_refuses_what_it_cannot_draw_by_name(tmp_path, X, y, message):
    """Labels -1 and 1 were drawn in one colour, regression targets as a 0/1 split with a legend of targets, and
    text labels ended in NumPy's UFuncTypeError."""
    import glassnet as gn
    from glassnet.tools import plots

    model = gn.Sequential([gn.Dense(2, 1, dtype="float64"), gn.Sigmoid()], rng=0)
    with pytest.raises(gn.OptionError, match=message):
        plots.decision_boundary(model, np.array(X, dtype=float), np.array(y), tmp_path / "x.png")
    with pytest.raises(gn.OptionError, match="the model takes 3 features, not the two coordinates drawn"):
        plots.decision_boundary(gn.mlp([3, 4, 2], rng=0), np.zeros((2, 2)), [0, 1], tmp_path / "x.png")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(("path", "message"), [("noext", "path must end with a picture format"),
                                               ("x.pgf" if shutil.which("xelatex") is None else "x.nope",
                                                "path must end with a picture format"),
                                               (None, "path must be a file path")])
def test_the_plots_check_their_path_by_name(tmp_path, path, message):
    """A path without a suffix had a PNG written to it; .pgf ran LaTeX, which is not installed; None was
    TypeError: expected str, bytes or os.PathLike object."""
    import glassnet as gn
    from glassnet.tools import plots

    with pytest.raises(gn.OptionError, match=message):
        plots.learning_curves({"loss": [1.0, 0.5]}, None if path is None else tmp_path / path)


def test_learning_curves_show_one_epoch_values_that_are_not_finite_and_each_curves_decades(tmp_path, monkeypatch):
    """One epoch drew two empty panels with ticks at 0.96 to 1.04; NaN and infinity were left out without a word,
    the axis ending at the last finite epoch; a validation cost over four decades was drawn on a linear axis, as
    the log axis was chosen from the training cost alone."""
    from glassnet.tools import plots

    kept = _drawn(monkeypatch)
    plots.learning_curves({"loss": [0.5], "val_loss": [0.6], "accuracy": [0.7], "val_accuracy": [0.6]},
                          tmp_path / "one.png")
    for ax in kept[-1].axes:
        assert [line.get_marker() for line in ax.get_lines()] == ["o", "o"] and list(ax.get_xticks()) == [1]
    plots.learning_curves({"loss": [1.0, 0.5, np.nan, np.inf]}, tmp_path / "nan.png")
    ax = kept[-1].axes[0]
    assert ax.get_xlim()[1] >= 4 and "training not finite from epoch 3" in [t.get_text() for t in
                                                                            ax.get_legend().get_texts()]
    plots.learning_curves({"loss": list(np.geomspace(1, 0.5, 50)), "val_loss": list(np.geomspace(1, 1e-4, 50))},
                          tmp_path / "decades.png")
    assert kept[-1].axes[0].get_yscale() == "log"


def test_the_picture_tools_refuse_what_they_cannot_draw_by_name(tmp_path):
    """feature_maps(layer=-1) drew the input titled as the last layer's output, layer=99 was IndexError;
    first_layer_weights without image_shape was TypeError "Invalid shape (64,) for image data", a wrong one
    NumPy's reshape error, max_units=0 ZeroDivisionError and a Dropout first AttributeError; a confusion picture
    with names for another number of classes was NumPy's IndexError."""
    import glassnet as gn
    from glassnet.tools import plots

    conv = gn.cnn((1, 8, 8), 10, channels=(8,), hidden=32, rng=0)
    image = np.random.default_rng(0).random((1, 8, 8))
    for layer in (-1, 99, 1.0):
        with pytest.raises(gn.OptionError, match=r"layer must be the number of one of the model's \d+ layers, from 0"):
            plots.feature_maps(conv, image, tmp_path / "maps.png", layer=layer)
    dense = gn.mlp([64, 16, 10], rng=0)
    for shape in (None, (7, 7), (64,), 8, (8.0, 8.0), "ab"):
        with pytest.raises(gn.OptionError, match=r"image_shape must be the \(rows, columns\) of pictures of the "
                                                 r"first layer's 64 inputs"):
            plots.first_layer_weights(dense, shape, tmp_path / "w.png")
    with pytest.raises(gn.OptionError, match="max_units must be >= 1"):
        plots.first_layer_weights(dense, (8, 8), tmp_path / "w.png", max_units=0)
    dropped = gn.Sequential([gn.Dropout(0.2), gn.Dense(64, 4)], rng=0)
    assert plots.first_layer_weights(dropped, (8, 8), tmp_path / "w.png").exists()  # the Dense past the Dropout
    with pytest.raises(gn.OptionError, match=r"matrix must be square, one row and column for each of the 3 "
                                             r"classes; received shape \(2, 2\)"):
        confusion_picture(np.array([[5, 1], [2, 7]]), ["a", "b", "c"], tmp_path / "c.png")
