"""The tools that look inside a network: the gradient check, the trace of one step,
the computational graph with its numbers, saliency maps,
the solvers side by side, learning curves and decision boundaries, confusion matrices."""
