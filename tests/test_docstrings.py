"""Every public function and method says what it takes and returns (numpydoc), so a learner can navigate."""

import dataclasses
import importlib
import inspect
import pkgutil

import pytest

import glassnet as gn

#: modules whose public names are the API (front-ends' internals are not)
SKIP_MODULES = {"glassnet.__main__", "glassnet.cli"}  # and the modules inside them


def public_callables():
    seen = set()
    for info in pkgutil.walk_packages(gn.__path__, "glassnet."):
        front_end = ".".join(info.name.split(".")[:2]) in SKIP_MODULES
        if front_end or any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) and id(obj) not in seen:
                seen.add(id(obj))
                yield f"{module.__name__}.{name}", obj
            elif inspect.isclass(obj) and id(obj) not in seen:
                seen.add(id(obj))
                yield f"{module.__name__}.{name}", obj
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr not in ("__call__", "__init__"):
                        continue
                    if isinstance(member, (staticmethod, classmethod)):
                        member = member.__func__
                    if inspect.isfunction(member):
                        yield f"{module.__name__}.{name}.{attr}", member


def needs(obj):
    """(needs a Parameters section, needs a Returns section)."""
    sig = inspect.signature(obj)
    params = [p for p in sig.parameters.values() if p.name not in ("self", "cls")]
    returns = sig.return_annotation not in (inspect.Signature.empty, None, "None")
    return bool(params), returns


CALLABLES = sorted(public_callables())


@pytest.mark.parametrize(("name", "obj"), CALLABLES, ids=[n for n, _ in CALLABLES])
def test_public_callable_is_documented(name, obj):
    if name.endswith(".__init__"):
        return  # a class documents its constructor's parameters itself
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    if inspect.isclass(obj):
        init = obj.__dict__.get("__init__")
        if init is not None and needs(init)[0]:
            described = "Parameters\n----------" in doc or (
                dataclasses.is_dataclass(obj) and "Attributes\n----------" in doc)
            assert described, f"{name}: the class docstring lists no Parameters"
        return
    if len(doc.splitlines()) == 1 and not needs(obj)[0]:
        return  # a one-line docstring says it all for a method without arguments
    takes, gives = needs(obj)
    if takes:
        assert "Parameters\n----------" in doc, f"{name} takes arguments but its docstring lists no Parameters"
    if gives and not isinstance(inspect.getattr_static(obj, "__wrapped__", None), property):
        assert "Returns\n-------" in doc or "Yields\n------" in doc, f"{name} returns a value but has no Returns"
