"""skl2onnx converters for GlassnetClassifier and GlassnetRegressor: pipelines export as one ONNX graph.

    from glassnet.sklearn.onnx import register
    register()
    onx = skl2onnx.to_onnx(make_pipeline(StandardScaler(), GlassnetClassifier()).fit(X, y), X[:1])

The network's nodes are :func:`glassnet.io.onnx.layer_nodes`' (the same graph
``glassnet.export_onnx`` writes); the converter adds the estimator's output
(probabilities and labels, or values) and the casts between the pipeline's
precision and the network's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import OptionError
from ..io.onnx import GraphParts, label_nodes, layer_nodes, probability_nodes
from .estimators import GlassnetClassifier, GlassnetRegressor


def _emit(parts: GraphParts, container: Any) -> None:
    """Move the nodes and initializers that ``parts`` built into skl2onnx's container."""
    from onnx import helper, numpy_helper

    for tensor in parts.initializers:
        values = numpy_helper.to_array(tensor)
        content = values.ravel().tolist() if values.dtype.kind in "OSU" else values.ravel()
        container.add_initializer(tensor.name, tensor.data_type, list(values.shape), content)
    for node in parts.nodes:
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        container.add_node(node.op_type, list(node.input), list(node.output), name=node.name, **attributes)


def _network(scope: Any, operator: Any) -> tuple[Any, GraphParts, str]:
    """The estimator's network from the operator's input, cast to the network's precision."""
    from onnx import helper

    est = operator.raw_operator
    model = est._network()
    parts = GraphParts(scope.get_unique_variable_name("glassnet") + "_", model.dtype)
    x = operator.inputs[0].full_name
    parts.nodes.append(helper.make_node("Cast", [x], [cast := parts.name("input")],
                                        to=helper.np_dtype_to_tensor_dtype(np.dtype(model.dtype))))
    return est, parts, layer_nodes(model, cast, parts)


def _output_cast(parts: GraphParts, tensor: str, output: Any, name: str) -> None:
    from onnx import helper
    from skl2onnx.common.data_types import guess_proto_type

    parts.nodes.append(helper.make_node("Cast", [tensor], [name], to=guess_proto_type(output.type)))


def convert_classifier(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx converter: ``label`` and ``probabilities`` of a fitted GlassnetClassifier.

    Parameters
    ----------
    scope, operator, container
        skl2onnx's conversion objects.
    """
    est = operator.raw_operator
    if getattr(est, "_multilabel", False):
        raise OptionError("a multi-label GlassnetClassifier does not convert with skl2onnx yet; export its "
                          "network with glassnet.export_onnx(est.model_, path, classes=False)")
    est, parts, out = _network(scope, operator)
    probabilities = probability_nodes(est.model_, out, parts)
    classes = [c.item() if isinstance(c, np.generic) else c for c in est.classes_]
    # bool classes come out as int64 0 and 1, as skl2onnx declares them (and converts MLPClassifier's), and so
    # do floats, whole numbers once fit has taken them as classes (y of 0.0, 1.0, 2.0: the strings "0.0" ... made
    # a graph that its declared int64 label refused); with the option nocl the label is the class's index
    nocl = container.get_options(est, {"nocl": False})["nocl"]
    label = label_nodes(probabilities, None if nocl else [int(c) if isinstance(c, (bool, float)) else c
                                                          for c in classes], parts)
    from onnx import helper

    parts.nodes.append(helper.make_node("Identity", [label], [operator.outputs[0].full_name]))
    _output_cast(parts, probabilities, operator.outputs[1], operator.outputs[1].full_name)
    _emit(parts, container)


def convert_regressor(scope: Any, operator: Any, container: Any) -> None:
    """skl2onnx converter: the values of a fitted GlassnetRegressor (``exp`` of the output for Poisson).

    Parameters
    ----------
    scope, operator, container
        skl2onnx's conversion objects.
    """
    est, parts, out = _network(scope, operator)
    if est.out_activation_ == "exp":
        out = parts.node("Exp", [out])
    _output_cast(parts, out, operator.outputs[0], operator.outputs[0].full_name)
    _emit(parts, container)


def regressor_shapes(operator: Any) -> None:
    """skl2onnx shape calculator: the values of a GlassnetRegressor, ``(N, n_outputs_)``.

    skl2onnx's linear one declares ``(N, 1)`` for an estimator without ``coef_``, which onnx's full
    check refuses for several outputs.

    Parameters
    ----------
    operator
        skl2onnx's operator.
    """
    from skl2onnx.common.shape_calculator import calculate_linear_regressor_output_shapes

    calculate_linear_regressor_output_shapes(operator)
    operator.outputs[0].type.shape = [operator.inputs[0].get_first_dimension(), operator.raw_operator.n_outputs_]


def register() -> None:
    """Register both converters with skl2onnx (again is harmless)."""
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import calculate_linear_classifier_output_shapes

    update_registered_converter(GlassnetClassifier, "GlassnetClassifier", calculate_linear_classifier_output_shapes,
                                convert_classifier, overwrite=True,
                                options={"zipmap": [True, False, "columns"], "nocl": [True, False]})
    update_registered_converter(GlassnetRegressor, "GlassnetRegressor", regressor_shapes, convert_regressor,
                                overwrite=True)
