"""The report page's script (one inline ``<script>``, allowed by its sha256 in the page's CSP).

The JavaScript lives in ``page.js`` beside this module (package data, see setup.cfg), so it is
edited, linted and diffed as JavaScript; it is read once, when the report package is imported.
"""

from __future__ import annotations

from importlib.resources import files

__all__ = ["SCRIPT"]

SCRIPT = files(__package__).joinpath("page.js").read_text(encoding="utf-8")
