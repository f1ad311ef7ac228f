"""The docstring text the two estimators share: their common parameters and their fitted attributes.

``GlassnetClassifier`` and ``GlassnetRegressor`` take the same parameters as
scikit-learn's ``MLPClassifier`` and ``MLPRegressor`` (and glassnet's own), and
fit the same attributes; each estimator's docstring is written around these
two sections, so that they read as one, complete for numpydoc and for
scikit-learn's checks.
"""

#: the Parameters section's entries for what ``GlassnetBase`` takes
SHARED_PARAMETERS = """
    hidden_layer_sizes : int or tuple of int, default=(100,)
        The widths of the hidden layers.
    activation : {"relu", "leaky_relu", "tanh", "logistic" ("sigmoid"), "identity"}, default="relu"
    solver : {"adam", "sgd", "lbfgs", "adamw", "rmsprop", "bfgs"}, default="adam"
    alpha : float, default=1e-4
        L2 strength, as scikit-learn counts it (``alpha / (2 m) * sum(W**2)`` for m samples).
    batch_size : int or "auto", default="auto"
        "auto" is ``min(200, n_samples)``.
    learning_rate : {"constant", "invscaling", "adaptive", "cosine"}, default="constant"
        "invscaling" decays with the samples seen, across warm starts and
        ``partial_fit``; "adaptive" divides the rate by 5 after
        ``n_iter_no_change`` epochs without improvement, until it is at most 1e-6.
    learning_rate_init, power_t : float, default=0.001, 0.5
    max_iter : int, default=200
        Epochs (stochastic solvers) or iterations (quasi-Newton).
    shuffle : bool, default=True
    random_state : None, int or RandomState
        Draws the starting weights, the early-stopping split and the shuffles.
    tol : float, default=1e-4
    verbose : bool or int, default=False
        Print the loss after each epoch ("Iteration 3, loss = 0.1234").
    warm_start : bool, default=False
    momentum : float, default=0.9
    nesterovs_momentum : bool, default=True
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for binary
        targets, as scikit-learn does), score it after each epoch, stop after
        ``n_iter_no_change`` epochs without improvement and keep the best
        weights. Every solver, the quasi-Newton ones included.
    validation_fraction : float, default=0.1
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's (and RMSProp's: ``beta_2`` is its decay).
    n_iter_no_change : int or numpy.inf, default=10
    max_fun : int, default=15000
        The quasi-Newton solvers' limit on cost evaluations.
    init : None or str, default=None
        None starts from scikit-learn's weights (Glorot-uniform weights and
        biases; with the same ``random_state``, the very weights
        ``MLPClassifier`` and ``MLPRegressor`` start from). A glassnet
        initializer ("he_normal", "xavier_uniform", ...; see
        :mod:`glassnet.init`) draws the weights and sets the biases to zero.
    dtype : None, "float32" or "float64", default=None
        The network's precision; None follows ``X`` (float32 stays float32,
        anything else becomes float64).
    n_threads : None or int, default=None
        Bound the BLAS's threads during fit and predict (see
        :mod:`glassnet.core.threads`). None: the cores free when the call starts,
        within the bounds that joblib's and Dask's workers set. Give 1 when
        other work shares the cores. More than the cores this process may
        use counts as all of them, in fit and predict alike (an estimator set
        up on a laptop runs on a worker of one core with one).
    device : str, default="cpu"
        Where the network trains and predicts: "cpu", or "gpu" / "gpu:N" with
        CuPy (see :meth:`glassnet.nn.Stack.to`). ``X`` and ``y`` are NumPy
        arrays as always, copied to the device once per fit; predictions come
        back as NumPy arrays. On a GPU, ``coefs_`` and ``intercepts_`` are
        copies on the host rather than views."""

#: the Attributes section's entries for what every fit sets
ATTRIBUTES = """
    coefs_, intercepts_ : list of arrays
        The weights (fan_in, fan_out) and biases of each layer, views into the
        network. Assigned before the first fit, they are its starting weights.
    loss_, best_loss_ : float
        The last epoch's training cost; the lowest (None under early stopping).
    loss_curve_ : list of float
        The training cost after each epoch (or iteration), for every solver.
    validation_scores_, validation_loss_curve_ : list of float or None
        Under early stopping, the score and the cost of the held-out set after each epoch.
    best_validation_score_ : float or None
    n_iter_ : int
        Epochs (iterations) of the last call to ``fit`` or ``partial_fit``.
    t_ : int
        Samples seen by the solver since the network was made.
    learning_rate_ : float
        The learning rate the next epoch would use.
    n_layers_, n_outputs_, out_activation_, n_features_in_, feature_names_in_
        As scikit-learn's.
    model_ : glassnet.Sequential
        The network itself: ``glassnet.trace``, ``gradcheck`` and ``save`` take it."""


__all__ = ["ATTRIBUTES", "SHARED_PARAMETERS"]
