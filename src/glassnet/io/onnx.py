"""ONNX export: a glassnet model as a standard ONNX graph, for ONNX Runtime and every other runtime.

Each layer of the registry maps onto standard ONNX operators (opset
:data:`OPSET`), weights as initializers:

==============  =============================================================
glassnet        ONNX
==============  =============================================================
Dense           Gemm (MatMul without a bias)
ReLU, ...       Relu, Sigmoid, Tanh, Max(x, alpha x), Softmax, Identity
Dropout         nothing: it is the identity at inference
Flatten         Flatten (axis 1: the same C order)
Conv2D          Conv (the same (out, in, kh, kw) kernels; explicit pads)
MaxPool2D       MaxPool
AvgPool2D       AveragePool
BatchNorm       BatchNormalization with the running statistics
==============  =============================================================

A classifier's graph ends in two outputs, ``label`` (the class, by name
when the model knows its classes) and ``probabilities``; any other model's
in one, ``output``. The input, ``input``, has a dynamic batch dimension.
Input standardization and target scaling recorded in the model file's
metadata (``glassnet train`` on CSV data) become the graph's first and last
nodes, so the graph takes raw features as ``glassnet predict`` does, and the
metadata travels in the ONNX file's ``metadata_props``.

The ``onnx`` package is needed to export (the ``onnx`` extra: ``pip install -e '.[onnx]'`` in the glassnet folder);
glassnet itself never imports it otherwise.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
from ..core._validation import short
from ..core.arrays import to_numpy
from ..errors import OptionError, OptionTypeError, missing
from ..nn import LAYERS, Stack
from ..nn.predicting import output_probabilities
from ..nn.stack import check_model
from .atomic import write_atomically
from .metadata import savable_metadata

#: the ONNX operator set the graphs use (ONNX Runtime 1.13 and later run it)
OPSET = 17
#: the metadata keys that travel into the ONNX file, each as JSON; a photo model's ``picture``
#: ({"size", "channels", "fit"}) says how to make its input: float32 in [0, 1], (batch, channels, size, size)
METADATA_KEYS = ("dataset", "task", "classes", "feature_names", "image_shape", "picture", "input_mean",
                 "input_scale", "target_mean", "target_scale")


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:  # pragma: no cover - the extra is installed where tests run
        raise missing("onnx", "onnx", "exporting to ONNX") from None
    return onnx


def check_exportable(model: Stack) -> None:
    """Refuse, by name and position, a layer that has no ONNX equivalent.

    Parameters
    ----------
    model : Stack
    """
    check_model(model)
    model.require_built("ONNX export")
    for i, layer in enumerate(model.layers):
        if not type(layer).exports():
            names = ", ".join(name for name, cls in LAYERS.items() if cls.exports())
            raise OptionError(f"layer [{i}] {type(layer).__name__} has no ONNX equivalent, so the model cannot be "
                              f"exported; the layers that export are {names} (a layer of your own exports "
                              "with an onnx_nodes method: see docs/layers.md)")
    if model.input_shape is None:
        raise OptionError("the model's input shape is unknown (it has seen no data yet); build it for its input with "
                          "model.build(input_shape), such as model.build((1, 28, 28)), or call predict once")


class GraphParts:
    """Nodes and initializers of a graph under construction, with unique names.

    Parameters
    ----------
    prefix : str
        Starts every name this builder makes.
    dtype : numpy.dtype
        The model's precision (float32 or float64).
    """

    def __init__(self, prefix: str, dtype: np.dtype) -> None:
        self.prefix, self.dtype = prefix, np.dtype(dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def name(self, what: str) -> str:
        """A new unique name.

        Parameters
        ----------
        what : str

        Returns
        -------
        str
        """
        self._count += 1
        return f"{self.prefix}{what}_{self._count}"

    def constant(self, what: str, value: Any, dtype: Any = None) -> str:
        """An initializer holding ``value``; its name.

        Parameters
        ----------
        what : str
        value : array_like
        dtype : numpy.dtype, optional
            Default: the model's.

        Returns
        -------
        str
        """
        onnx = _onnx()
        name = self.name(what)
        array = np.asarray(to_numpy(value), dtype=self.dtype if dtype is None else dtype)
        self.initializers.append(onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], what: str | None = None, **attributes: Any) -> str:
        """A node with one output; the output's name.

        Parameters
        ----------
        op : str
            The ONNX operator.
        inputs : list of str
        what : str, optional
            Names the output (default: the operator).
        **attributes
            The operator's attributes.

        Returns
        -------
        str
        """
        onnx = _onnx()
        out = self.name(what or op)
        self.nodes.append(onnx.helper.make_node(op, inputs, [out], name=self.name(f"{op}_node"), **attributes))
        return out


def layer_nodes(model: Stack, x: str, parts: GraphParts) -> str:
    """Append the nodes of every layer of ``model`` to ``parts``, from the tensor named ``x``.

    Parameters
    ----------
    model : Stack
        Checked by :func:`check_exportable` first.
    x : str
        The name of the network's input tensor.
    parts : GraphParts

    Returns
    -------
    str
        The name of the network's output tensor.
    """
    check_exportable(model)
    for layer in model.layers:
        x = layer.onnx_nodes(x, parts)  # each layer writes its own nodes
    return x


def probability_nodes(model: Stack, out: str, parts: GraphParts) -> str:
    """Class probabilities from the network's output: softmax or sigmoid unless the model ends in one.

    Parameters
    ----------
    model : Stack
    out : str
        The network's output tensor.
    parts : GraphParts

    Returns
    -------
    str
        A (batch, n_classes) tensor; one sigmoid output becomes two columns, ``1 - p`` and ``p``.
    """
    ends_in = output_probabilities(model.layers)  # a Softmax then Flatten ends in probabilities too
    n_out = model.out_features
    if n_out == 1:
        p = out if ends_in == "sigmoid" else parts.node("Sigmoid", [out])
        one_minus = parts.node("Sub", [parts.constant("one", 1.0), p])
        return parts.node("Concat", [one_minus, p], "probabilities", axis=1)
    if ends_in is not None:  # a softmax, or sigmoids (one per label) as predict_proba gives them
        return out
    return parts.node("Softmax", [out], "probabilities", axis=-1)


def integer_classes(classes: list) -> bool:
    """Whether every class is an integer (the labels are then int64; otherwise strings).

    Parameters
    ----------
    classes : list

    Returns
    -------
    bool
    """
    return all(isinstance(c, (int, np.integer)) and not isinstance(c, (bool, np.bool_)) for c in classes)


def _utf8(name: object) -> bytes:
    """A class name as the UTF-8 of a string tensor; a folder's name in another encoding keeps its escapes."""
    return str(name).encode("utf-8", "backslashreplace")


def label_nodes(probabilities: str, classes: list | None, parts: GraphParts) -> str:
    """The predicted class: the argmax, looked up in ``classes`` when the model has them.

    Parameters
    ----------
    probabilities : str
    classes : list or None
        Class names (all integers, or strings).
    parts : GraphParts

    Returns
    -------
    str
        An int64 tensor of indices or integer classes, or a string tensor, shape (batch,).
    """
    index = parts.node("ArgMax", [probabilities], "index", axis=1, keepdims=0)
    if classes is None:
        return index
    if integer_classes(classes):
        table = parts.constant("classes", np.asarray(classes, dtype=np.int64), dtype=np.int64)
    else:
        onnx = _onnx()
        name = parts.name("classes")
        parts.initializers.append(onnx.helper.make_tensor(name, onnx.TensorProto.STRING, [len(classes)],
                                                          [_utf8(c) for c in classes]))
        table = name
    return parts.node("Gather", [table, index], "label", axis=0)


def to_onnx(model: Stack, *, classes: list | bool | None = None, metadata: dict | None = None,
            dtype: Any = None, name: str = "glassnet") -> Any:
    """The ONNX graph of ``model``, checked by ``onnx.checker`` (full check).

    Parameters
    ----------
    model : Stack
    classes : list, bool or None
        The classes, in output order: a classifier's graph gives ``label``
        and ``probabilities``. True makes a classifier whose labels are the
        output indices 0..k-1; None decides from ``metadata["classes"]``, then
        from a final Softmax layer (indices again); False exports the raw
        output as ``output``.
    metadata : dict, optional
        A model file's metadata: its scaling becomes float64 nodes (the
        input is then float64, and a regressor's output), and the keys of
        :data:`METADATA_KEYS` travel in ``metadata_props``.
    dtype : None, float32 or float64
        The network's precision; None keeps the model's. (ONNX Runtime's CPU
        provider has no float64 convolution: export float64 conv nets as float32 for it.)
    name : str
        The graph's name.

    Returns
    -------
    onnx.ModelProto
    """
    onnx = _onnx()
    check_exportable(model)
    if dtype is not None and np.dtype(dtype) != model.dtype:
        model = model.copy(dtype=dtype)
    # as save takes it (NumPy arrays as lists), and refused as load would refuse it: input_mean without its scale
    meta = savable_metadata(metadata, model, "the ONNX graph")
    shape = model.input_shape
    assert shape is not None  # check_exportable refused a model without one
    out_shape = tuple(model.layer_shapes()[-1] or ())
    if classes is None:  # a softmax over each pixel's channels (a segmentation) is no classifier's output
        classes = meta.get("classes") or (list(range(model.out_features or 0)) if len(out_shape) == 1
                                          and output_probabilities(model.layers) == "softmax" else False)
    if classes is not False and classes is not True:
        if isinstance(classes, (str, bytes)):  # "ab" was read as the classes "a" and "b"
            raise OptionTypeError(f"classes must be a list of class names, one per output; received the string "
                                  f"{short(classes)}")
        classes = list(classes)
        if len(classes) != max(model.out_features or 0, 2):
            raise OptionError(f"classes must name one class per output ({max(model.out_features or 0, 2)}); "
                              f"received {len(classes)}")
    if classes is not False and len(out_shape) != 1:
        raise OptionError(f"classes need a model whose output is one score per class; this model's output is "
                          f"{out_shape} per sample: export it with classes=False")
    dtype = np.dtype(model.dtype)
    elem = onnx.helper.np_dtype_to_tensor_dtype(dtype)
    parts = GraphParts("", dtype)
    # raw features and the target's units are float64, as glassnet predict reads and writes them: a timestamp
    # of 1.7e9 in float32 is 128 off, and a target of 2e7 rounds to an even number
    double = onnx.TensorProto.DOUBLE
    x, in_elem = "input", elem
    if meta.get("input_mean") is not None:
        x, in_elem = parts.node("Sub", [x, parts.constant("input_mean", meta["input_mean"], np.float64)],
                                "centered"), double
        x = parts.node("Div", [x, parts.constant("input_scale", meta["input_scale"], np.float64)], "standardized")
        x = parts.node("Cast", [x], "standardized_cast", to=elem)
    out = layer_nodes(model, x, parts)
    n_out = model.out_features
    outputs = []
    if classes is not False:
        probabilities = probability_nodes(model, out, parts)
        label = label_nodes(probabilities, None if classes is True else classes, parts)
        string_labels = classes is not True and not integer_classes(classes)
        parts.nodes.append(onnx.helper.make_node("Identity", [label], ["label"]))
        parts.nodes.append(onnx.helper.make_node("Identity", [probabilities], ["probabilities"]))
        width = max(n_out or 0, 2)
        outputs = [onnx.helper.make_tensor_value_info("label", onnx.TensorProto.STRING if string_labels
                                                      else onnx.TensorProto.INT64, ["batch"]),
                   onnx.helper.make_tensor_value_info("probabilities", elem, ["batch", width])]
    else:
        out_elem = elem
        if meta.get("target_mean") is not None:
            out, out_elem = parts.node("Cast", [out], "output_cast", to=double), double
            out = parts.node("Mul", [out, parts.constant("target_scale", meta["target_scale"], np.float64)])
            out = parts.node("Add", [out, parts.constant("target_mean", meta["target_mean"], np.float64)])
        parts.nodes.append(onnx.helper.make_node("Identity", [out], ["output"]))
        outputs = [onnx.helper.make_tensor_value_info("output", out_elem, ["batch", *out_shape])]  # a conv net's too
    inputs = [onnx.helper.make_tensor_value_info("input", in_elem, ["batch", *shape])]
    graph = onnx.helper.make_graph(parts.nodes, name, inputs, outputs, parts.initializers)
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", OPSET)],
                                   producer_name="glassnet", producer_version=__version__)
    proto.ir_version = min(proto.ir_version, 8)  # the IR of opset 17, which older runtimes read
    props = {"glassnet_version": __version__, "input_shape": json.dumps(list(shape))}
    if classes is not False and classes is not True:
        props["classes"] = json.dumps([c.item() if isinstance(c, np.generic) else c for c in classes])
    for key in METADATA_KEYS:
        if key in meta and key not in props and meta[key] is not None:
            props[key] = json.dumps(meta[key])
    onnx.helper.set_model_props(proto, props)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model: Any, path: str | os.PathLike, *, classes: list | bool | None = None,
                metadata: dict | None = None, dtype: Any = None) -> Path:
    """Write ``model`` to ``path`` as an ONNX file (atomically: a failed export leaves no partial file).

    Parameters
    ----------
    model : Stack or Checkpoint
        A network, or what :func:`glassnet.load` returned (its metadata then comes along).
    path : str or path_like
        Where to write, conventionally ``*.onnx``. Its folder must exist; a
        Checkpoint's own model file is refused.
    classes, metadata, dtype
        As for :func:`to_onnx`.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    inputs = []
    if hasattr(model, "model") and hasattr(model, "metadata"):  # a Checkpoint from glassnet.load
        metadata = {**model.metadata, **(metadata or {})}
        inputs = [model.path] if model.path is not None else []  # never written over with the graph
        model = model.model
    return write_onnx(to_onnx(model, classes=classes, metadata=metadata, dtype=dtype), path, inputs=inputs)


def write_onnx(proto: Any, path: str | os.PathLike, inputs: Any = ()) -> Path:
    """Write an ONNX graph to ``path`` atomically (a failure leaves no partial file and the old one whole).

    Parameters
    ----------
    proto : onnx.ModelProto
    path : str or path_like
        A device, FIFO or other file that is not a regular one is refused (see
        :func:`glassnet.io.atomic.write_atomically`).
    inputs : iterable of paths
        Files the ONNX file must not overwrite (the model file it came from).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    data = proto.SerializeToString()
    return write_atomically(path, lambda f: f.write(data), inputs=inputs, name="output")
