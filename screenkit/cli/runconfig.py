"""Run config files: ``--config run.toml`` gives a command's options, ``--write-config`` saves them.

A config file holds the same options as the command line, by the flag's name
(``n-jobs = 2`` or ``n_jobs = 2``), at the top level or under a table named after the
command (``[score]``). Flags given on the command line win over the file; an unknown key
is a one-line usage error naming the valid ones. A run's metadata (``OUT.meta.json``)
holds its resolved options under ``config``, so ``--config OUT.meta.json`` repeats it.
Relative paths in a TOML file are read from the file's folder; resolved options record
absolute paths.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path

from ..errors import UsageError

__all__ = ["add_config_options", "apply_config", "resolved_options", "write_config", "file_hashes"]

_SKIP = {"help", "config", "write_config"}  # not options of the run itself
_PATH_METAVARS = {"LIBRARY", "OUT", "DIR", "FILE", "CSV", "DATASET"}
_GIVEN = object()  # marks an option the command line did not give


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--config FILE`` and ``--write-config FILE`` to a command's parser."""
    parser.add_argument("--config", metavar="FILE",
                        help="read options from a TOML file (same names as the flags; flags given here win), "
                             "or from a run's OUT.meta.json to repeat that run")
    parser.add_argument("--write-config", metavar="FILE",
                        help="write every effective option of this run to a TOML file (for --config)")
    parser.set_defaults(parser=parser)


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {a.dest: a for a in parser._actions if a.dest not in _SKIP and a.dest is not argparse.SUPPRESS
            and a.option_strings != ["-h", "--help"]}


def _given(parser: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The options the command line set, found by parsing it again over a namespace of markers
    (argparse fills in a default only where the namespace has no value yet)."""
    actions = _options(parser)
    marked = argparse.Namespace(**{dest: _GIVEN for dest in actions})
    parsed, _ = parser.parse_known_args(argv, marked)
    # an optional positional (nargs="?") that is absent is still "set", to its default
    return {dest for dest, value in vars(parsed).items() if value is not _GIVEN and dest in actions
            and (actions[dest].option_strings or value != actions[dest].default)}


def _read(path: Path, command: str) -> tuple[dict, Path | None]:
    """The options in a TOML file or a run's metadata JSON, and the folder relative paths start from."""
    if not path.is_file():
        raise UsageError(f"config file {path} does not exist")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            config = json.loads(text).get("config")
        except (json.JSONDecodeError, AttributeError) as exc:
            raise UsageError(f"{path} is not a run's metadata JSON ({exc})") from None
        if not isinstance(config, dict) or not isinstance(config.get("options"), dict):
            raise UsageError(f"{path} has no 'config' section with 'options'; give a TOML file or a "
                             "metadata file written by screenkit")
        if config.get("command", command) != command:
            raise UsageError(f"{path} holds the options of 'screenkit {config['command']}', not '{command}'")
        return dict(config["options"]), None  # resolved options: paths are absolute already
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"config file {path} is not valid TOML: {exc}") from None
    if isinstance(data.get(command), dict):
        data = data[command]
    return data, path.resolve().parent


def _convert(key: str, value, action: argparse.Action, base: Path | None, path: Path):
    where = f"{path}: {key}"
    if value is None:
        return None
    if isinstance(action, argparse._StoreTrueAction | argparse._StoreFalseAction | argparse.BooleanOptionalAction):
        if not isinstance(value, bool):
            raise UsageError(f"{where} must be true or false, not {value!r}")
        return value
    if isinstance(value, dict | list):
        if action.type is None and isinstance(value, dict):  # a JSON option (--estimator-params)
            return json.dumps(value)
        raise UsageError(f"{where} must be a single value, not {value!r}")
    if action.type is not None and not isinstance(value, bool):
        convert = action.type
        if not callable(convert):  # argparse allows registered type names; screenkit's parsers use none
            raise TypeError(f"option {action.dest} has the type name {convert!r}, not a callable")
        try:
            value = convert(value) if isinstance(value, str) or convert is not float else float(value)
        except (TypeError, ValueError):
            raise UsageError(f"{where} = {value!r} is not a valid {getattr(convert, '__name__', 'value')}") from None
        if convert is int and isinstance(value, float):
            raise UsageError(f"{where} must be a whole number, not {value!r}")
    elif isinstance(value, bool):
        raise UsageError(f"{where} must be a value, not {value!r}")
    if action.choices is not None and value not in action.choices:
        raise UsageError(f"{where} = {value!r}; choose one of: {', '.join(map(str, action.choices))}")
    if base is not None and isinstance(value, str) and _is_path(action, value) and not Path(value).is_absolute():
        value = str(base / value)
    return value


def _is_path(action: argparse.Action, value: str) -> bool:
    if value == "-":
        return False
    if action.metavar in _PATH_METAVARS:
        return True
    return action.metavar == "PROFILE" and (value.endswith(".toml") or "/" in value)


def apply_config(args: argparse.Namespace, command: str, argv: list[str]) -> argparse.Namespace:
    """Fill ``args`` from ``args.config`` where the command line did not give the option.

    ``argv`` is the command line after the command name. Raises :class:`UsageError` for an
    unknown key (naming it and the valid ones) or a value of the wrong kind.
    """
    if not getattr(args, "config", None):
        return args
    parser = args.parser
    path = Path(args.config)
    values, base = _read(path, command)
    actions = _options(parser)
    flags = {dest: (a.option_strings[-1].lstrip("-") if a.option_strings else dest) for dest, a in actions.items()}
    by_name = {name: dest for dest, flag in flags.items() for name in (dest, flag, flag.replace("-", "_"))}
    given = _given(parser, argv)
    for key, value in values.items():
        dest = by_name.get(key)
        if dest is None:
            valid = ", ".join(sorted(flags[d] for d in actions))
            raise UsageError(f"{path}: unknown option {key!r}; valid ones are: {valid}")
        if dest not in given:
            setattr(args, dest, _convert(key, value, actions[dest], base, path))
    return args


def resolved_options(args: argparse.Namespace) -> dict:
    """Every effective option of the run (absolute paths), keyed by the flag's name."""
    options = {}
    for dest, action in _options(args.parser).items():
        value = getattr(args, dest, None)
        name = action.option_strings[-1].lstrip("-") if action.option_strings else dest
        if isinstance(value, str) and _is_path(action, value) and (action.metavar != "PROFILE" or Path(value).exists()):
            value = str(Path(value).resolve())
        options[name] = value
    return options


def file_hashes(options: dict) -> dict:
    """sha256 of each file an option names (folders: their manifest, as bundles are checked)."""
    from ..hashing import file_sha256

    hashes = {}
    for name, value in options.items():
        if isinstance(value, str) and value != "-" and "/" in value:
            path = Path(value)
            if path.is_file():
                hashes[name] = file_sha256(path)
            elif (path / "manifest.json").is_file():
                hashes[name] = file_sha256(path / "manifest.json")
    return hashes


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def write_config(path: str | Path, command: str, options: dict, hashes: dict | None = None) -> None:
    """Write ``options`` as a TOML file that ``--config`` reads back (unset options are left out)."""
    lines = [f"# screenkit {command} options; run again with: screenkit {command} --config {Path(path).name}"]
    for name, sha in (hashes or {}).items():
        lines.append(f"# sha256 of {name}: {sha}")
    lines.append(f"[{command}]")
    lines += [f"{name} = {_toml_value(value)}" for name, value in options.items() if value is not None]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
