"""The runtime's allocator setting takes on glibc (this machine's and CI's), and is a no-op without it."""

import ctypes.util

import pytest

from local.runtime import memory


def test_glibc_takes_the_arena_limit() -> None:
    assert memory.fewer_arenas() is True


def test_without_a_c_library_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert memory.fewer_arenas() is False
