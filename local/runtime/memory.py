"""The runtime's memory: glibc's allocator kept to two arenas, and what it loaded kept out of the cyclic collector.

glibc gives each thread that allocates under contention an arena of its own, up to eight per core, and an arena
keeps the pages its freed objects leave: the runtime's many threads (the API server's, the stream poller, the
rules' deliveries, moto's requests) each held their own share of a table's worth of item texts. Two arenas keep its
resident memory close to what it holds, at no measurable cost to its requests (they are serialized by the store's
lock anyway). Only for glibc; elsewhere nothing changes.

Python's cyclic collector scans every container it tracks on each full collection: with a company's tables loaded,
about a second and a half during which no thread of the runtime runs (a read's 99th percentile was that pause).
Once the tables are loaded, and again after a seed, `settle` collects once and freezes what is left: the items the
tables hold are not scanned again, and what later requests leave behind is collected as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)
ARENAS = 2


def fewer_arenas() -> bool:
    """Limit glibc's malloc to ARENAS arenas, before the runtime starts its threads; False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.mallopt(M_ARENA_MAX, ARENAS))
    except (OSError, AttributeError):
        return False


def settle() -> None:
    """Collect once, then leave everything alive now out of later collections (`gc.freeze`)."""
    gc.collect()
    gc.freeze()
