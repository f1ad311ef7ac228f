"""A second array library for the tests: NumPy's API on arrays that refuse to become NumPy arrays.

It behaves as CuPy does on a GPU, as far as glassnet's array seam is
concerned: its module ``xp`` offers NumPy's functions (``out=`` included) and
a generator of its own (``xp.random.default_rng``), its arrays do not say
which module they belong to (no ``__array_namespace__``, as CuPy 14's arrays
have none: glassnet knows them by their type, registered here), reductions
give 0-d arrays rather than NumPy scalars, ``.get()`` copies to the host, and
every silent mix with NumPy fails: ``numpy.asarray(a)``, a NumPy ufunc or
function applied to one of its arrays, a NumPy array passed to one of its
functions or operators. Code that runs on it therefore takes every array
function from the namespace, as a GPU backend would need.
"""

from __future__ import annotations

import types

import numpy as np

import glassnet

#: host reads of fake arrays' values: a GPU waits at each one
READS = [0]


class MixedNamespaceError(TypeError):
    """A NumPy array met a fake array, or a fake array was about to become a NumPy array."""


def _unwrap(value, allow_numpy=False):
    if isinstance(value, FakeArray):
        return value._a
    if isinstance(value, np.ndarray) and not allow_numpy:
        raise MixedNamespaceError("a NumPy array was passed where the fake namespace's array belongs")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, allow_numpy) for v in value)
    return value


def _wrap(value):
    if isinstance(value, np.ndarray):
        return FakeArray(value)
    if isinstance(value, np.generic):
        return FakeArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


def _call(fn, args, kwargs):
    return _wrap(fn(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))


class FakeArray:
    """An ndarray in disguise that never lets NumPy see it."""

    __slots__ = ("_a",)
    __array_ufunc__ = None  # NumPy's ufuncs refuse it

    def __init__(self, array: np.ndarray):
        self._a = array

    def __array__(self, *args, **kwargs):
        raise MixedNamespaceError("implicit conversion of a fake array to a NumPy array is not allowed")

    def __array_function__(self, func, types_, args, kwargs):
        return NotImplemented  # NumPy's functions refuse it

    def get(self) -> np.ndarray:
        """A NumPy copy, as CuPy's ``get()`` copies to the host."""
        READS[0] += 1
        return self._a.copy()

    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    T = property(lambda self: FakeArray(self._a.T))

    def __getattr__(self, name):
        if name.startswith("__") or name in ("ctypes", "data", "base", "flags"):
            raise AttributeError(f"fake arrays expose no {name}: their memory is not NumPy's")
        attr = getattr(self._a, name)
        if name in ("item", "tolist"):  # a copy to the host, as float() is: counted
            def read(*args, **kwargs):
                READS[0] += 1
                return attr(*args, **kwargs)
            return read
        if callable(attr):
            return lambda *args, **kwargs: _call(attr, args, kwargs)
        return attr

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key, allow_numpy=True)])

    def __setitem__(self, key, value):
        self._a[_unwrap(key, allow_numpy=True)] = _unwrap(value)

    def __len__(self):
        return len(self._a)

    def __float__(self):
        READS[0] += 1
        return float(self._a)

    def __int__(self):
        READS[0] += 1
        return int(self._a)

    def __bool__(self):
        READS[0] += 1
        return bool(self._a)

    def __repr__(self):
        return f"FakeArray({self._a!r})"

    def __deepcopy__(self, memo):
        return FakeArray(self._a.copy())

    def __reduce__(self):
        return (FakeArray, (self._a,))


def _binary(name):
    op = getattr(np.ndarray, name)

    def method(self, other):
        return _wrap(op(self._a, _unwrap(other)))

    return method


def _inplace(name):
    op = getattr(np.ndarray, name)

    def method(self, other):
        op(self._a, _unwrap(other))
        return self

    return method


for _name in ("add", "sub", "mul", "truediv", "pow", "matmul", "mod", "floordiv"):
    setattr(FakeArray, f"__{_name}__", _binary(f"__{_name}__"))
    setattr(FakeArray, f"__r{_name}__", _binary(f"__r{_name}__"))
    setattr(FakeArray, f"__i{_name}__", _inplace(f"__i{_name}__"))
for _name in ("lt", "le", "gt", "ge", "eq", "ne", "and", "or", "xor"):
    setattr(FakeArray, f"__{_name}__", _binary(f"__{_name}__"))
FakeArray.__neg__ = lambda self: FakeArray(-self._a)
FakeArray.__abs__ = lambda self: FakeArray(abs(self._a))
FakeArray.__invert__ = lambda self: FakeArray(~self._a)
FakeArray.__hash__ = None


def _asarray(value, dtype=None):
    return FakeArray(np.array(_unwrap(value, allow_numpy=True), dtype=dtype, copy=None))


def _module_getattr(name):
    if name in ("asarray", "array"):
        return _asarray
    attr = getattr(np, name)
    if isinstance(attr, (types.FunctionType, types.BuiltinFunctionType, np.ufunc)) or (
            callable(attr) and not isinstance(attr, type)):
        return lambda *args, **kwargs: _call(attr, args, kwargs)
    return attr


class FakeGenerator:
    """The device's generator, as ``cupy.random.default_rng(seed)`` gives: its draws are fake arrays."""

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)

    def random(self, size=None, dtype=np.float64, out=None):
        values = self._rng.random(size, dtype=dtype)
        if out is None:
            return FakeArray(values)
        out[...] = FakeArray(values)
        return out


#: the device index made current by ``xp.cuda.Device``, as CuPy's current GPU (None: the default)
CURRENT_DEVICE: list = [None]


class FakeDevice:
    """``cupy.cuda.Device(index)``: a context that makes GPU ``index`` current."""

    SYNCS = [0]  # how often the host waited for the device

    def __init__(self, index=None):
        self.index = index

    def synchronize(self):
        FakeDevice.SYNCS[0] += 1

    def __enter__(self):
        self._before = CURRENT_DEVICE[0]
        CURRENT_DEVICE[0] = self.index
        return self

    def __exit__(self, *exc):
        CURRENT_DEVICE[0] = self._before


class OutOfMemoryError(MemoryError):
    """As ``cupy.cuda.memory.OutOfMemoryError``: the class name and message glassnet reads."""

    def __init__(self, size):
        super().__init__(f"Out of memory allocating {size:,} bytes (allocated so far: 0 bytes).")


#: the fake library's module, as ``cupy`` would be
xp = types.ModuleType("fake_namespace.xp", "NumPy's API on arrays that refuse to become NumPy arrays")
xp.__getattr__ = _module_getattr  # type: ignore[attr-defined]
xp.random = types.SimpleNamespace(default_rng=FakeGenerator)  # type: ignore[attr-defined]
xp.cuda = types.SimpleNamespace(Device=FakeDevice)  # type: ignore[attr-defined]
glassnet.arrays.register(FakeArray, xp)
