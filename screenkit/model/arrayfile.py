"""A safe, fast file format for fitted estimators: a JSON object graph plus numpy arrays.

skops is safe but slow to start: importing it and loading nine forests took a worker
about 4.5 s, more than scoring a thousand molecules. This format keeps skops' safety
model and drops its generality:

* one ``.npz`` file, read with ``allow_pickle=False``: arrays (including scikit-learn's
  structured tree-node arrays) are plain numpy data, and a JSON document in the same
  file describes how they fit together;
* an object is rebuilt only if its class is in the caller's trusted list, by
  ``cls.__new__`` plus ``__setstate__`` (or ``__dict__``) with decoded state: no code
  named by the file ever runs, and nothing is unpickled;
* scikit-learn's ``Tree`` is rebuilt from its constructor arguments and node arrays,
  the same state its own pickling uses, so predictions are bit-identical.

Anything the format does not know (a Cython object without a dict state, say) raises
:class:`UnsupportedObject` at dump time, and the caller keeps skops for that estimator.
"""

from __future__ import annotations

import importlib
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["ARRAYFILE_FORMAT", "UnsupportedObject", "UntrustedType", "dump", "load"]

ARRAYFILE_FORMAT = "screenkit-arrayfile/1"
_GRAPH = "graph"
_BLOB = "arrays"
_ALIGN = 64  # every array starts on a 64-byte boundary, as numpy's own allocations do


class UnsupportedObject(TypeError):
    """The object graph holds something this format cannot store."""


class UntrustedType(ValueError):
    """The file names a class outside the trusted list."""


def _class_path(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_sklearn_tree(obj) -> bool:
    return _class_path(type(obj)) == "sklearn.tree._tree.Tree"


class _Encoder:
    def __init__(self, trusted: set[str]):
        self.trusted = trusted
        self.arrays: list[np.ndarray] = []

    def array(self, value: np.ndarray) -> dict:
        if value.dtype.hasobject:
            return {"objects": [self(v) for v in value.ravel().tolist()], "shape": list(value.shape)}
        self.arrays.append(np.array(value, order="C", copy=True))  # ascontiguousarray would make 0-d arrays 1-d
        return {"array": len(self.arrays) - 1}

    def blob(self) -> tuple[np.ndarray, list]:
        """All arrays in one aligned byte block (one decompression on load) and where each lies."""
        layout: list[list[Any]] = []  # per array: [dtype descr, shape, byte offset], as JSON
        offset = 0
        for value in self.arrays:
            offset = -(-offset // _ALIGN) * _ALIGN
            layout.append([np.lib.format.dtype_to_descr(value.dtype), list(value.shape), offset])
            offset += value.nbytes
        block = np.zeros(offset, dtype=np.uint8)
        for value, (_, _, start) in zip(self.arrays, layout):
            block[start:start + value.nbytes] = np.frombuffer(value.tobytes(), dtype=np.uint8)
        return block, layout

    def __call__(self, obj):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int) and type(obj) is int:
            return obj
        if isinstance(obj, float) and type(obj) is float:
            return obj if np.isfinite(obj) else {"float": repr(obj)}
        if isinstance(obj, np.ndarray):
            return self.array(obj)
        if isinstance(obj, np.generic):
            return {"scalar": self.array(np.asarray(obj))}
        if isinstance(obj, np.dtype):
            return {"dtype": np.lib.format.dtype_to_descr(obj)}
        if isinstance(obj, list):
            return {"list": [self(v) for v in obj]}
        if isinstance(obj, tuple):
            return {"tuple": [self(v) for v in obj]}
        if isinstance(obj, dict):
            if all(isinstance(k, str) for k in obj):
                return {"dict": {k: self(v) for k, v in obj.items()}}
            return {"items": [[self(k), self(v)] for k, v in obj.items()]}
        if isinstance(obj, slice):
            return {"slice": [self(obj.start), self(obj.stop), self(obj.step)]}
        path = _class_path(type(obj))
        if path not in self.trusted:
            raise UnsupportedObject(f"{path} is not in the trusted types")
        if _is_sklearn_tree(obj):
            _, args, state = obj.__reduce__()
            return {"tree": self(list(args)), "state": self(state)}
        state = obj.__getstate__() if hasattr(obj, "__getstate__") else obj.__dict__
        if not isinstance(state, dict):
            raise UnsupportedObject(f"{path} has no dict state")
        return {"object": path, "state": self(state)}


class _Decoder:
    def __init__(self, arrays, trusted: set[str], moved: Mapping[str, str]):
        self.arrays = arrays
        self.trusted = trusted
        self.in_tree = False
        self.moved = moved

    def cls(self, path: str):
        path = self.moved.get(path, path)  # a class that moved module since the file was written
        if path not in self.trusted:
            raise UntrustedType(f"the file holds type {path}, which is not trusted")
        module, _, name = path.rpartition(".")
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj

    def __call__(self, node):
        if node is None or isinstance(node, (bool, str, int, float)):
            return node
        if not isinstance(node, dict) or len(node) not in (1, 2):
            raise ValueError(f"malformed node {str(node)[:80]}")
        (kind, value), *rest = node.items()
        if kind == "float":
            return float(value)
        if kind == "array":
            # A view would keep the whole decompressed block alive (all of a forest's bytes,
            # 169 MB for the bundled models, beside the trees' own copies); a tree's arrays
            # are copied by Tree.__setstate__ and need no copy here.
            return self.arrays[value] if self.in_tree else self.arrays[value].copy()
        if kind == "objects":
            out = np.empty(len(value), dtype=object)
            out[:] = [self(v) for v in value]
            return out.reshape(rest[0][1])
        if kind == "scalar":
            return self(value)[()]
        if kind == "dtype":
            return np.lib.format.descr_to_dtype(_tuples(value))
        if kind == "list":
            return [self(v) for v in value]
        if kind == "tuple":
            return tuple(self(v) for v in value)
        if kind == "dict":
            return {k: self(v) for k, v in value.items()}
        if kind == "items":
            return {self(k): self(v) for k, v in value}
        if kind == "slice":
            return slice(*(self(v) for v in value))
        if kind == "tree":
            self.in_tree = True
            try:
                tree = self.cls("sklearn.tree._tree.Tree")(*self(value))
                tree.__setstate__(self(rest[0][1]))
            finally:
                self.in_tree = False
            return tree
        if kind == "object":
            cls = self.cls(value)
            obj = cls.__new__(cls)
            state = self(rest[0][1])
            if hasattr(obj, "__setstate__"):
                obj.__setstate__(state)
            else:
                obj.__dict__.update(state)
            return obj
        raise ValueError(f"unknown node kind {kind!r}")


def _tuples(descr):
    """JSON turns a dtype description's tuples into lists; numpy wants them back."""
    if isinstance(descr, list):
        return [tuple(_tuples(part) for part in field) if isinstance(field, list) else field for field in descr]
    return descr


def dump(obj, path: str | Path, trusted: list[str]) -> None:
    """Write ``obj`` to ``path`` (an ``.npz`` file).

    Raises
    ------
    UnsupportedObject
        The graph holds an untrusted class or an object without a dict state.
    """
    encoder = _Encoder(set(trusted))
    root = encoder(obj)
    block, layout = encoder.blob()
    graph = json.dumps({"format": ARRAYFILE_FORMAT, "layout": layout, "root": root})
    buffer = io.BytesIO()
    arrays = {_GRAPH: np.frombuffer(graph.encode(), dtype=np.uint8), _BLOB: block}
    # numpy's stub lets **kwds reach the bool allow_pickle parameter; these are array names only
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    Path(path).write_bytes(buffer.getvalue())


def load(path: str | Path, trusted: list[str], moved: Mapping[str, str] | None = None):
    """Read an object written by :func:`dump`, rebuilding only trusted classes.

    ``moved`` maps class paths as a file may hold them to where the classes live now; the
    trust check applies to the new path.

    Raises
    ------
    UntrustedType
        The file names a class outside ``trusted``.
    ValueError
        The file is not an array file or is damaged.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            if sorted(npz.files) != sorted([_GRAPH, _BLOB]):
                raise ValueError("not a screenkit array file")
            graph = json.loads(npz[_GRAPH].tobytes().decode())
            block = npz[_BLOB]
        if graph.get("format") != ARRAYFILE_FORMAT:
            raise ValueError(f"format {graph.get('format')!r}, this screenkit reads {ARRAYFILE_FORMAT!r}")
        arrays = []
        for descr, shape, start in graph["layout"]:
            dtype = np.lib.format.descr_to_dtype(_tuples(descr))
            size = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
            if start < 0 or start + size > len(block):
                raise ValueError("an array lies outside the file's data")
            arrays.append(block[start:start + size].view(dtype).reshape(tuple(shape)))
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path} is not a readable screenkit array file ({exc})") from None
    return _Decoder(arrays, set(trusted), moved or {})(graph["root"])
