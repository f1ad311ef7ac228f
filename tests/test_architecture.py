"""The package's shape: imports flow one way, from math to front-ends, and layers plug in through one registry."""

import ast
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from levels import LEVEL, levels_table

PACKAGE = Path(gn.__file__).parent

README = PACKAGE.parents[1] / "README.md"
TABLE_START, TABLE_END = "<!-- levels: written by tests/test_architecture.py -->", "<!-- end of levels -->"


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index(TABLE_START) + len(TABLE_START):text.index(TABLE_END)].strip()


def test_the_readme_table_is_these_levels():
    assert readme_table() == levels_table(), "the README's table is stale: run python tests/test_architecture.py"


def test_every_unit_of_the_package_is_in_the_readme_table():
    units = {path.stem if path.is_file() else path.name for path in PACKAGE.iterdir()
             if (path.suffix == ".py" or (path / "__init__.py").exists())}
    assert units == set(LEVEL), units ^ set(LEVEL)


def modules():
    """(dotted name relative to glassnet, path) for every module of the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        yield ".".join(parts), path


def level(dotted: str) -> int:
    return LEVEL[dotted.split(".")[0]]


def internal_imports(dotted: str, path: Path):
    """(imported glassnet module, line, inside a function?) for each import of glassnet by this module."""
    tree = ast.parse(path.read_text())
    package = dotted.split(".")[:-1]  # "nn.dense" and "nn.__init__" both live in package nn
    functions = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                 for n in ast.walk(f)}
    for node in ast.walk(tree):
        nested = id(node) in functions
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                names = [target] if node.module else [".".join([*base, a.name]) for a in node.names]
            elif node.module and node.module.split(".")[0] == "glassnet":
                names = [node.module.removeprefix("glassnet").lstrip(".") or "__init__"]
            else:
                continue
            for name in names:
                yield name or "__init__", node.lineno, nested
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "glassnet":
                    yield alias.name.removeprefix("glassnet").lstrip(".") or "__init__", node.lineno, nested


def test_every_module_has_a_level():
    for dotted, _ in modules():
        assert dotted.split(".")[0] in LEVEL, f"glassnet.{dotted} has no level in this test's LEVELS"


def test_imports_point_down_never_up():
    upward = []
    for dotted, path in modules():
        for target, line, _ in internal_imports(dotted, path):
            if level(target) > level(dotted):
                upward.append(f"glassnet/{path.relative_to(PACKAGE)}:{line} imports glassnet.{target}")
    assert not upward, "imports pointing upward:\n" + "\n".join(upward)


def test_no_glassnet_import_hides_inside_a_function():
    hidden = [f"glassnet/{path.relative_to(PACKAGE)}:{line} imports glassnet.{target} inside a function"
              for dotted, path in modules() for target, line, nested in internal_imports(dotted, path) if nested]
    assert not hidden, "\n".join(hidden)


def test_no_import_cycle_between_modules():
    graph = {}
    names = {dotted for dotted, _ in modules()}
    for dotted, path in modules():
        deps = set()
        for target, _, _ in internal_imports(dotted, path):
            # a package import means its __init__ module
            deps.add(target if target in names else f"{target}.__init__")
        graph[dotted] = {d for d in deps if d in names and d != dotted}
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == "open":
                cycles.append(" -> ".join(stack[stack.index(dep):] + [dep]))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


#: a file a reader takes in one sitting
MAX_LINES = 400


def test_every_source_file_reads_in_one_sitting():
    long = {f"glassnet/{path.relative_to(PACKAGE)}": n for _, path in modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_one_table_of_default_learning_rates_for_the_library_and_the_command_line(capsys):
    import inspect

    from glassnet.cli import build_parser
    from glassnet.cli.settings import settings_from
    from glassnet.optim import DEFAULT_LR, OPTIMIZERS

    assert set(DEFAULT_LR) == set(OPTIMIZERS)
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for name, cls in OPTIMIZERS.items():
        assert cls().lr0 == DEFAULT_LR[name] == inspect.signature(cls).parameters["lr"].default
        assert f"{name}: {DEFAULT_LR[name]:g}" in help_text
        args = parser.parse_args(["train", "--optimizer", name, "--dataset", "mnist"])
        assert settings_from(args)["lr"] == DEFAULT_LR[name], name


def test_the_test_itself_sees_an_upward_import(tmp_path, monkeypatch):
    """The checks above would catch an upward import hidden in a function (a mutation of the package)."""
    fake = tmp_path / "glassnet"
    fake.mkdir()
    (fake / "losses.py").write_text("def f():\n    from .training import fit\n    return fit\n")
    found = list(internal_imports("losses", fake / "losses.py"))
    assert found == [("training", 2, True)] and level("training") > level("losses")


# -- one registry of layer types ------------------------------------------------------


def test_every_layer_class_is_registered_and_rebuilds_from_its_config():
    from glassnet.nn import LAYERS, Layer, layer_from_config

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    public = {c for c in subclasses(Layer) if c.__module__.startswith("glassnet.") and c.__name__ != "Activation"
              and not c.__name__.startswith("_")}
    assert public == set(LAYERS.values())
    for cls in LAYERS.values():
        args = {gn.Dense: (3, 4), gn.Dropout: (0.5,), gn.Conv2D: (2, 3, 3), gn.MaxPool2D: (2,), gn.AvgPool2D: (2,),
                gn.BatchNorm: (4,), gn.LayerNorm: ((2, 3),), gn.Normalize: ([0.5, 0.25], [0.2, 1.5])}.get(cls, ())
        layer = cls(*args)
        twin = layer_from_config({"type": cls.__name__, **layer.config()})
        assert type(twin) is cls and twin.config() == layer.config()


def test_flatten_came_in_through_the_registry_alone():
    """Flatten is one file and one registry line: model files, summaries, traces and the oracles take it."""
    r = np.random.default_rng(0)
    model = gn.Sequential([gn.Flatten(), gn.Dense(12, 5, rng=0, dtype=np.float64), gn.Tanh(),
                           gn.Dense(5, 3, rng=1, dtype=np.float64)], input_shape=(3, 2, 2))
    assert model.input_shape == (3, 2, 2) and model.output_shape == (3,)
    assert "-> " in model.summary() and "12" in model.summary().splitlines()[1]
    X, y = r.normal(size=(6, 3, 2, 2)), r.integers(0, 3, 6)
    report = gn.gradcheck(model, "cross_entropy", X, y, check_input=True)
    assert report.passed and report.rows[-1].shape == (6, 3, 2, 2)
    # samples are rows: flattening then a Dense layer is a Dense layer on the rows
    flat = gn.Sequential([gn.Dense(12, 5, dtype=np.float64), gn.Tanh(), gn.Dense(5, 3, dtype=np.float64)])
    flat.params[...] = model.params
    np.testing.assert_array_equal(model.predict(X), flat.predict(X.reshape(6, 12)))
    # rows of 12 values are taken as flattened images, in C order; other shapes are refused
    np.testing.assert_array_equal(model.predict(X.reshape(6, 12)), model.predict(X))
    with pytest.raises(gn.OptionError, match=r"X must have shape \(n_samples, 3, 2, 2\); received shape \(6, 11\)"):
        model.predict(X.reshape(6, 12)[:, :11])


def test_flatten_round_trips_through_a_model_file_and_a_trace(tmp_path):
    model = gn.Sequential([gn.Flatten(), gn.Dense(4, 2, rng=0)], input_shape=(1, 2, 2))
    path = gn.save(tmp_path / "f.glassnet", model)
    loaded = gn.load(path).model
    assert loaded.input_shape == (1, 2, 2) and repr(loaded) == repr(model)
    X = np.arange(8.0).reshape(2, 1, 2, 2)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    t = gn.trace(model, X, [[0.0, 1.0], [1.0, 0.0]], "mse")
    assert t["F0"].shape == (2, 4) and t["dW1"].shape == (4, 2)


def test_flatten_agrees_with_torch():
    torch = pytest.importorskip("torch")
    r = np.random.default_rng(1)
    model = gn.Sequential([gn.Flatten(), gn.Dense(8, 3, rng=2, dtype=np.float64)], input_shape=(2, 2, 2))
    X, y = r.normal(size=(5, 2, 2, 2)), r.integers(0, 3, 5)
    objective = gn.Objective(model, "cross_entropy")
    cost = objective(*objective.prepare(X, y), need_input_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    W = torch.tensor(model.layers[1].W, requires_grad=True)
    b = torch.tensor(model.layers[1].b, requires_grad=True)
    tc = torch.nn.functional.cross_entropy(torch.flatten(tx, 1) @ W + b, torch.tensor(y))
    tc.backward()
    assert cost == pytest.approx(float(tc.detach()), rel=1e-12)
    np.testing.assert_allclose(objective.input_grad, tx.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(model.layers[1].grads["W"], W.grad.numpy(), rtol=1e-10)


if __name__ == "__main__":  # rewrite the README's table from LEVELS
    text = README.read_text(encoding="utf-8")
    head, rest = text.split(TABLE_START)
    README.write_text(f"{head}{TABLE_START}\n{levels_table()}\n{TABLE_END}{rest.split(TABLE_END, 1)[1]}",
                      encoding="utf-8")
    print(f"{README}: the table of levels rewritten")


def test_the_public_modules_keep_their_short_names(recwarn):
    """glassnet.functional and the other public modules named in __all__ moved into sub-packages; their short
    names still work, as attributes and in import statements, with no warning."""
    import importlib

    homes = {"arrays": "core.arrays", "functional": "ops.functional", "init": "ops.init",
             "convolution": "ops.convolution", "saliency": "tools.saliency", "recipes": "training.recipes"}
    for short_name, home in homes.items():
        assert short_name in gn.__all__
        module = importlib.import_module(f"glassnet.{home}")
        assert getattr(gn, short_name) is module
        assert importlib.import_module(f"glassnet.{short_name}") is module
    assert not recwarn.list
    root = {path.name for path in PACKAGE.iterdir() if path.suffix == ".py"}
    assert root == {"__init__.py", "__main__.py", "errors.py", "_version.py"}  # only the package's face


def type_checking_imports() -> dict[str, str]:
    """__init__.py's ``if TYPE_CHECKING:`` imports: each public name, as ``module:name`` under glassnet."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
    found = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom) and node.level == 1
        for alias in node.names:
            found[alias.asname or alias.name] = f"{node.module or ''}:{alias.name}"
    return found


def test_the_lazy_table_gives_what_the_imports_for_type_checkers_name():
    """glassnet imports each public name when it is first used, from a table; type checkers and the API
    reference read the ordinary imports under TYPE_CHECKING. The two must name the same objects."""
    import importlib

    imports = type_checking_imports()
    assert set(imports) == set(gn.__all__) - {"__version__"}
    for name, where in imports.items():
        module, attribute = where.split(":")
        owner = importlib.import_module(f"glassnet.{module}" if module else "glassnet")
        try:
            expected = getattr(owner, attribute)
        except AttributeError:  # `from .tools import saliency`: a sub-module, an attribute once imported
            expected = importlib.import_module(f"{owner.__name__}.{attribute}")
        if isinstance(expected, type(gn)) and not module:  # `from . import errors`: the sub-module itself
            expected = importlib.import_module(f"glassnet.{attribute}")
        assert getattr(gn, name) is expected, name


def test_import_glassnet_loads_only_its_table():
    """`import glassnet` costs milliseconds: NumPy, SciPy and glassnet's modules load when first used."""
    code = ("import sys, glassnet\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('glassnet', 'numpy', 'scipy')))\n"
            "glassnet.mlp\n"
            "print(*(m in sys.modules for m in ('scipy', 'glassnet.training.models', 'urllib.request')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    first, second = done.stdout.splitlines()
    assert first == "['glassnet', 'glassnet._version']"
    # the first use loads what it needs; SciPy still waits for a sigmoid, and the downloader (http, email and
    # ssl: 28 ms) for a download of MNIST
    assert second == "False True False"


def test_an_unknown_name_is_an_attribute_error_that_names_it():
    with pytest.raises(AttributeError, match="'glassnet' has no attribute 'Dens'"):
        gn.Dens  # noqa: B018
    assert "Dense" in dir(gn) and "nn" in dir(gn)


def test_the_command_line_loads_only_the_command_it_runs():
    """`glassnet train` never imports the web server, ONNX export or the gradient checker; each command its own."""
    code = ("import sys\nfrom glassnet.cli import build_parser, main\n"
            "def loaded(*prefixes): return sorted(m for m in sys.modules if m.startswith(prefixes))\n"
            "build_parser().parse_args(['info', 'nothing.glassnet'])\n"
            "print(loaded('glassnet.cli.', 'glassnet.web', 'glassnet.tools'))\n"
            "import glassnet.cli.train\n"
            "print(loaded('glassnet.web', 'glassnet.io.onnx', 'glassnet.tools.gradcheck'))\n"
            "print(main(['info', 'nothing.glassnet']), loaded('glassnet.cli.'))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    parsed, trained, ran = done.stdout.splitlines()
    assert trained == "[]"
    assert parsed == str(["glassnet.cli.data", "glassnet.cli.options", "glassnet.cli.pictures",
                          "glassnet.cli.settings"])
    assert ran.startswith("2 ") and "'glassnet.cli.use'" in ran and "'glassnet.cli.tools'" not in ran
