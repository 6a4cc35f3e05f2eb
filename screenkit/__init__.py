"""screenkit: virtual screening for leukodystrophy research."""

__version__ = "0.1.0"
