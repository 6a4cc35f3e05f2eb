"""Command line: ``screenkit COMMAND ...``; one module per subcommand.

Each subcommand module has ``add_parser(subparsers)`` and ``run(args) -> int`` that
makes one library call. Exit codes: 0 success, 2 usage/configuration error,
3 data error (missing, empty or non-chemistry file; tampered model; an output the
system refuses to store).

Only the chosen subcommand's module is imported (they pull in RDKit, scikit-learn and
pandas), so ``screenkit --help`` answers at once.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .. import __version__
from ..errors import ScreenkitError

__all__ = ["main", "COMMANDS"]

# command -> one-line help, in the order `screenkit --help` lists them; each command's
# module (screenkit.cli.<command>) gives the same help with its full options.
COMMANDS = {
    "score": "score and rank a compound library (SDF, SMILES, CSV; .gz too)",
    "predict": "predict a few molecules given as SMILES, with the evidence behind each",
    "report": "write a self-contained HTML review report of a ranked file",
    "train": "train one model per target and activity type, or one model on your own measurements",
    "evaluate": "report model metrics on an external test set",
    "targets": "list the target panel and the models available for it",
    "fetch": "pull ChEMBL activities for panel targets and curate them into a dataset",
    "curate": "curate raw ChEMBL records (from 'screenkit fetch') into a dataset",
}


# optional engines -> (the extra that installs them, what they are for)
_EXTRAS = {"pyarrow": ("parquet", "pyarrow (Parquet files)"), "distributed": ("dask", "distributed (Dask)"),
           "psycopg": ("postgres", "psycopg (PostgreSQL)")}


def _chosen_command(argv: list[str]) -> str | None:
    for arg in argv:
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in ``argv`` gets its full options (all of them when ``argv`` is None)."""
    parser = argparse.ArgumentParser(
        prog="screenkit",
        description="Virtual screening against a leukodystrophy target panel (remyelination, "
                    "neuroinflammation, leukodystrophy-specific targets) with models trained on ChEMBL data.",
        epilog="Run 'screenkit COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"screenkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _chosen_command(argv) if argv is not None else None
    for name, help_text in COMMANDS.items():
        if argv is None or name == chosen:
            importlib.import_module(f".{name}", __name__).add_parser(sub)
        else:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``screenkit`` command; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    args.command_argv = argv[argv.index(args.command) + 1:]  # what --config may not override
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return args.run(args)
    except ScreenkitError as exc:
        print(f"screenkit {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"screenkit {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        sys.stderr.close()
        return 0
    except ImportError as exc:  # an optional dependency (pyarrow for Parquet, distributed for Dask, ...)
        extra = next((e for m, e in _EXTRAS.items() if m in (exc.name or "") or m in str(exc)), None)
        if extra:
            text = f"this needs {extra[1]}, which is not installed: pip install 'screenkit[{extra[0]}]'"
        elif exc.name:
            text = f"this needs the Python package {exc.name}, which is not installed; pip install {exc.name}"
        else:  # e.g. pandas: "Unable to find a usable engine; ... pyarrow or fastparquet is required ..."
            text = " ".join(line.strip() for line in str(exc).splitlines()[:2])
        print(f"screenkit {args.command}: error: {text}", file=sys.stderr)
        return 2
    except OSError as exc:  # the system refused a file (full disk, permissions, ...): one line, not a traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(f"screenkit {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
