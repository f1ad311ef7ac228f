"""The command line every example shares: ``--quick`` for a short run, ``--out`` for the plots."""

import argparse
from pathlib import Path

from glassnet.errors import GlassnetError


def run(main, doc: str, **extra) -> None:
    """Parse ``--quick`` and ``--out`` (plus ``extra`` flags, name -> help) and call ``main``."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="a short run, as the test suite does")
    # beside the examples wherever they are run from (a relative default made examples/out in any folder)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "out"),
                    help="folder for the plots (default: out/ beside the examples)")
    for name, help_text in extra.items():
        ap.add_argument(f"--{name}", help=help_text)
    args = vars(ap.parse_args())
    try:
        main(**args)
    except (GlassnetError, OSError) as exc:  # a folder that is not there, data that cannot be read: one line
        ap.exit(2, f"{ap.prog}: error: {exc}\n")
