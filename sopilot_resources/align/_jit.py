"""``cached_njit``: numba ``@njit(cache=True)`` that degrades to an uncached JIT instead of failing.

numba writes its cache to ``__pycache__`` beside the module, falls back to a user-wide cache
directory (``$NUMBA_CACHE_DIR`` or ``~/.cache/numba``) when that is read-only, and raises at
decoration time when neither is writable. Here that last case compiles without a cache, so a
read-only install still imports and runs (only the first call per process pays the compile).
"""
from __future__ import annotations

import numba


def cached_njit(*args, **kwargs):
    """Decorator: ``numba.njit(cache=True, **kwargs)``, or without cache when none is writable."""

    def wrap(fn):
        try:
            return numba.njit(cache=True, **kwargs)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(cache=False, **kwargs)(fn)

    if args and callable(args[0]):
        return wrap(args[0])
    return wrap
