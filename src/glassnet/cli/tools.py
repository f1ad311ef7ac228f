"""``glassnet gradcheck``, ``trace``, ``compare-solvers`` and ``serve``: the tools around a model."""

from __future__ import annotations

import sys
import webbrowser
from pathlib import Path

import numpy as np

from ..core._validation import check_writable, short
from ..io.atomic import write_atomically
from ..tools.compare import compare_solvers, digits_problem, xor_problem
from ..tools.figures import check_path
from ..tools.gradcheck import gradcheck
from ..tools.graph import draw_graph
from ..tools.plots import loss_curves
from ..tools.tracing import example, trace_example
from ..web import check_address, check_web_dependencies, choose_model, picture_preparation, serve
from .data import UserError, model_or_default


def cmd_gradcheck(args) -> int:
    """Backpropagation against central differences on a few samples; exit 1 on a disagreement.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    model, X, y, loss, name = model_or_default(args, (16,))
    count = min(args.samples, len(X))  # the samples there are, where more were asked for
    print(f"{name} on {count} of its training samples" if args.model else f"a {name} on {count} digits")
    rows = np.random.default_rng(args.seed).choice(len(X), size=count, replace=False)
    report = gradcheck(model, loss, X[rows], y[rows], l2=args.l2, max_entries=args.max_entries, rng=args.seed,
                       tol=args.tol, eps=args.eps)
    print(report.to_markdown() if args.markdown else report)
    return 0 if report.passed else 1


def cmd_trace(args) -> int:
    """Print (or write) one training iteration, value by value.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    if args.output and args.output != "-":
        check_writable(args.output, "--output")
    if args.graph:
        if Path(args.graph).suffix.lower() not in (".svg", ".png"):
            suffix = Path(args.graph).suffix
            raise UserError(f"--graph must end in .svg or .png; received {short(args.graph)}, which ends in "
                            f"{short(suffix) if suffix else 'no suffix'}")
        check_writable(args.graph, "--graph")
        if args.output and Path(args.output).resolve() == Path(args.graph).resolve():
            raise UserError("--graph and --output name the same file; give each its own")
    text = trace_example(args.example, markdown=args.markdown, lr=args.lr, l2=args.l2)
    if args.output and args.output != "-":
        write_atomically(args.output, lambda f: f.write(text.encode()), name="--output")
        print(f"trace written to {args.output}")
    else:  # the terminal, or standard output named by "-"
        print(text)
    if args.graph:
        model, X, y, loss, title = example(args.example)
        draw_graph(model, X, y, loss, l2=args.l2, title=f"{title}: one forward and backward pass").save(args.graph)
        print(f"graph written to {args.graph}", file=sys.stderr if args.output == "-" else sys.stdout)
    return 0


def cmd_compare(args) -> int:
    """Every solver from the same starting weights, as a table (and a plot).

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    if args.plot:
        check_path(args.plot, "--plot")  # before the runs, not after
    problem = xor_problem() if args.problem == "xor" else digits_problem(args.seed)
    result = compare_solvers(*problem, seed=args.seed, epochs=args.epochs)
    print(result.table())
    if args.plot:
        print(f"loss curves written to {loss_curves(result.curves(), args.plot)}")
    return 0


def cmd_serve(args) -> int:
    """Serve the digit page; dependencies, options and the model are checked before any training.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    check_web_dependencies()  # before a default model is trained for a minute
    check_address(args.host)
    checkpoint = choose_model(args.model, args.data)
    picture_preparation(checkpoint)  # a model that does not take pictures is refused before serving
    serve(checkpoint, host=args.host, port=args.port, max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
          allowed_hosts=args.allowed_host)
    return 0


def cmd_playground(args) -> int:
    """Serve the playground and the teach page, and open one of them (``args.page``) in the browser.

    Parameters
    ----------
    args : argparse.Namespace

    Returns
    -------
    int
    """
    check_web_dependencies()
    check_address(args.host)

    def open_page(address: str) -> None:
        if not args.no_browser:
            webbrowser.open(address + getattr(args, "page", "playground"))

    serve(None, host=args.host, port=args.port, allowed_hosts=args.allowed_host, on_start=open_page)
    return 0


__all__ = ["cmd_compare", "cmd_gradcheck", "cmd_playground", "cmd_serve", "cmd_trace"]
