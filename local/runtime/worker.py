"""One function's sandbox: imports the handler once (the cold start), then serves invocations until stdin closes.

Run as `python -P worker.py` with the function's environment, its code directory as the working directory and
its code and layers on PYTHONPATH, as Lambda runs it; uses the standard library only, so nothing of the local
runtime is importable from the function. Protocol: one JSON object per line; requests on stdin, replies on
the original stdout. The function's own output (print, logging) goes to stderr, which the runtime logs.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TextIO


class Context:
    """The Lambda context object, as much of it as handlers and Powertools read."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = f"local/{os.getpid()}"
        self.invoked_function_arn = str(fields["invoked_function_arn"])
        self.aws_request_id = str(fields["aws_request_id"])
        self.identity = None
        self.client_context = None
        self._deadline = float(fields["deadline"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.time()) * 1000))


def _error(error: BaseException) -> dict[str, Any]:
    return {
        "errorType": type(error).__name__,
        "errorMessage": str(error),
        "stackTrace": traceback.format_exception(error),
    }


def _load(handler: str) -> Callable[[Any, Context], Any]:
    module_name, _, function_name = handler.rpartition(".")
    function: Callable[[Any, Context], Any] = getattr(importlib.import_module(module_name), function_name)
    return function


def _send(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def _invoke(handler: Callable[[Any, Context], Any], request: dict[str, Any]) -> dict[str, Any]:
    try:
        result = handler(request["event"], Context(request["context"]))
        json.dumps(result)
    except Exception as error:
        traceback.print_exc()
        return {"error": _error(error)}
    return {"result": result}


def main() -> None:
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the function's prints and logs go to stderr, never into the protocol
    started = time.perf_counter()
    try:
        handler = _load(os.environ["_HANDLER"])
    except Exception as error:
        traceback.print_exc()
        _send(channel, {"init_error": _error(error)})
        return
    _send(channel, {"ready": round((time.perf_counter() - started) * 1000)})
    for line in sys.stdin:
        _send(channel, _invoke(handler, json.loads(line)))


if __name__ == "__main__":
    main()
