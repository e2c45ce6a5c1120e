"""moto's PutEvents and its Docker-less Lambda Invoke, patched to reach the running eventing.

moto's backends are process-wide, so the patches consult the listeners registered (one per running Eventing):
PutEvents tells each listener what moto accepted, and Invoke (what Step Functions task states that call a
function reach: `arn:aws:states:::lambda:invoke`, or the function's ARN as `Resource`) runs the function of the
first listener that has it, instead of echoing the payload as moto does without Docker.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, Protocol

from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.events.models import EventsBackend


class Listener(Protocol):
    def accept(self, backend: EventsBackend, entries: list[dict[str, Any]], results: list[dict[str, Any]]) -> None:
        """Called with every PutEvents moto accepted."""

    def invoke_for_moto(self, function_name: str, body: Any, response_headers: dict[str, str]) -> bytes | None:
        """The function's answer as Lambda's Invoke gives it, or None when the function is not the listener's."""


class _Listeners:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: list[Listener] = []

    def register(self, listener: Listener) -> None:
        with self._lock:
            _install_patches()
            self._active.append(listener)

    def unregister(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._active:
                self._active.remove(listener)

    def active(self) -> list[Listener]:
        with self._lock:
            return list(self._active)


LISTENERS = _Listeners()


def _install_patches() -> None:
    """Idempotent: wraps moto's PutEvents and its Docker-less Lambda Invoke."""
    put_events = EventsBackend.put_events
    if not getattr(put_events, "__rapport_eventing__", False):
        setattr(EventsBackend, "put_events", _routing_put_events(put_events))  # noqa: B010 - mypy forbids assigning a method
    invoke = LambdaSimpleBackend.invoke
    if not getattr(invoke, "__rapport_eventing__", False):
        setattr(LambdaSimpleBackend, "invoke", _local_invoke(invoke))  # noqa: B010 - as above


def _routing_put_events(original: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    @functools.wraps(original)
    def put_events(backend: EventsBackend, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        results = original(backend, entries)
        for listener in LISTENERS.active():
            listener.accept(backend, entries, results)
        return results

    put_events.__rapport_eventing__ = True  # type: ignore[attr-defined]
    return put_events


def _local_invoke(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def invoke(
        backend: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: dict[str, str],
    ) -> Any:
        for listener in LISTENERS.active():
            answer = listener.invoke_for_moto(function_name, body, response_headers)
            if answer is not None:
                return answer
        return original(backend, function_name, qualifier, body, headers, response_headers)

    invoke.__rapport_eventing__ = True  # type: ignore[attr-defined]
    return invoke
