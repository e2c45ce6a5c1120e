"""The runtime's allocator setting takes on glibc (this machine's and CI's), and is a no-op without it; what it
holds once settled is out of the cyclic collector's scans."""

import ctypes.util
import gc
from collections.abc import Iterator

import pytest

from local.runtime import memory


def test_glibc_takes_the_arena_limit() -> None:
    assert memory.fewer_arenas() is True


def test_without_a_c_library_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert memory.fewer_arenas() is False


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_what_is_alive_when_settled_is_not_scanned_again_and_later_garbage_is_collected() -> None:
    held = [{"item": n} for n in range(1_000)]  # as a loaded table's items
    memory.settle()
    scanned = {id(found) for found in gc.get_objects()}
    assert not any(id(item) in scanned for item in held)
    cycle: list[object] = []
    cycle.append(cycle)
    alive = len(gc.get_objects())
    del cycle
    assert gc.collect() >= 1
    assert len(gc.get_objects()) < alive
