"""The math: activations, costs, convolutions and pooling as pure functions beside their derivatives,
the initializers, and the BLAS calls of the optimizers' vector updates."""
