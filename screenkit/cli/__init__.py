"""Command line: ``screenkit COMMAND ...``; one module per subcommand.

Each subcommand module has ``add_parser(subparsers)`` and ``run(args) -> int`` that
makes one library call. Exit codes: 0 success, 2 usage/configuration error,
3 data error (missing, empty or non-chemistry file; tampered model).
"""

from __future__ import annotations

import argparse
import logging
import sys

from .. import __version__
from ..errors import ScreenkitError
from . import curate, evaluate, fetch, report, score, targets, train

__all__ = ["main"]

_COMMANDS = (score, report, train, evaluate, targets, fetch, curate)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="screenkit",
        description="Virtual screening against a leukodystrophy target panel (remyelination, "
                    "neuroinflammation, leukodystrophy-specific targets) with models trained on ChEMBL data.",
        epilog="Run 'screenkit COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"screenkit {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``screenkit`` command; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
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
    except OSError as exc:  # the system refused a file (full disk, permissions, ...): one line, not a traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(f"screenkit {args.command}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
