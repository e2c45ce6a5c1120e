"""Runs each function in worker processes, as Lambda runs it in sandboxes.

A function's first invocation starts a worker (its cold start is logged); the worker is reused after. When
every worker of a function is busy, another one starts, as Lambda scales out, up to `MAX_CONCURRENCY`; further
invocations wait for a free one (that wait is not run time). A worker that times out or dies is discarded, as
Lambda discards the sandbox. Each worker's AWS calls carry an id of its own in their user agent (the SDKs' app
id, whatever credentials sign them: a fenced function signs with its tenant's), so that the time its calls wait
for the local DynamoDB's lock (`lock_wait`) is added to its timeout rather than counted as run time: on AWS, a
request waits on no other request.
"""

from __future__ import annotations

import json
import logging
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from local.runtime.aws import CALLER_ID_VARIABLE
from local.runtime.functions import FunctionConfig

log = logging.getLogger("rapport.local")
WORKER = Path(__file__).with_name("worker.py")
INIT_TIMEOUT = 30.0  # seconds; generous, as a busy two-core machine imports slowly
MAX_CONCURRENCY = 4
STOP_GRACE = 0.5  # seconds a stopping worker gets to finish its invocation (within the runtime's STOP_WITHIN)


class FunctionError(Exception):
    """The function failed: raised an error, returned what is not JSON, timed out, or its process died."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message


LockWait = Callable[[str], float]  # a worker's id -> seconds its calls waited for the store's lock since asked


class Worker:
    """One worker process of a function."""

    def __init__(self, config: FunctionConfig, lock_wait: LockWait) -> None:
        self.config = config
        self.caller_id = f"worker-{uuid.uuid4().hex[:16]}"
        self._lock_wait = lock_wait
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter running our own worker
            [sys.executable, "-P", str(WORKER)],
            cwd=config.code_dir,
            env={**config.environment, CALLER_ID_VARIABLE: self.caller_id},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # Ctrl-C stops the runtime, which then stops its workers
        )
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        assert self._process.stdout is not None
        assert self._process.stderr is not None
        threading.Thread(target=self._read_replies, args=(self._process.stdout,), daemon=True).start()
        threading.Thread(target=self._forward_logs, args=(self._process.stderr,), daemon=True).start()

    @property
    def pid(self) -> int:
        return self._process.pid

    def wait_ready(self) -> int:
        """The init duration in milliseconds, once the handler is imported."""
        reply = self._reply(INIT_TIMEOUT)
        if reply is None:
            self._kill()
            raise FunctionError("Runtime.InitTimeout", f"Init timed out after {INIT_TIMEOUT:.2f} seconds")
        if "init_error" in reply:
            self.stop()
            raise FunctionError(reply["init_error"]["errorType"], reply["init_error"]["errorMessage"])
        return int(reply["ready"])

    def invoke(self, event: Any) -> Any:
        request_id = str(uuid.uuid4())
        context = {
            "aws_request_id": request_id,
            "invoked_function_arn": self.config.arn,
            "deadline": time.time() + self.config.timeout,
        }
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps({"event": event, "context": context}) + "\n")
            self._process.stdin.flush()
        except OSError as error:
            raise FunctionError("Runtime.ExitError", "the worker process is gone") from error
        reply = self._run_reply()
        if "error" in reply:
            raise FunctionError(reply["error"]["errorType"], reply["error"]["errorMessage"])
        return reply["result"]

    def _run_reply(self) -> dict[str, Any]:
        """The invocation's reply within the function's timeout, plus the time its calls waited for the lock."""
        deadline = time.monotonic() + self.config.timeout
        while (reply := self._reply(deadline - time.monotonic())) is None:
            waited = self._lock_wait(self.caller_id)
            if waited <= 0:
                self._kill()
                raise FunctionError("Sandbox.Timedout", f"Task timed out after {self.config.timeout:.2f} seconds")
            deadline += waited
        return reply

    def alive(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> None:
        self.close()
        self.finish(time.monotonic() + STOP_GRACE)

    def close(self) -> None:
        """Ends its input: the worker finishes the invocation in hand, if any, and exits."""
        if self._process.stdin is not None:
            self._process.stdin.close()

    def finish(self, deadline: float) -> None:
        """Waits for the worker to exit until `deadline` (monotonic), then kills it."""
        try:
            self._process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self._kill()

    def _reply(self, timeout: float) -> dict[str, Any] | None:
        """The worker's next reply, or None if none comes within `timeout` seconds."""
        try:
            reply = self._replies.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None
        if reply is None:
            raise FunctionError("Runtime.ExitError", f"the worker process exited ({self._process.wait()})")
        return reply

    def _kill(self) -> None:
        self._process.kill()
        self._process.wait()

    def _read_replies(self, stream: IO[str]) -> None:
        for line in stream:
            self._replies.put(json.loads(line))
        self._replies.put(None)

    def _forward_logs(self, stream: IO[str]) -> None:
        for line in stream:
            log.info("%s | %s", self.config.label, line.rstrip("\n"))


class FunctionPool:
    """The workers of one function: idle ones are reused, new ones start while all are busy."""

    def __init__(self, config: FunctionConfig, lock_wait: LockWait) -> None:
        self.config = config
        self._lock_wait = lock_wait
        self._idle: list[Worker] = []
        self._all: list[Worker] = []
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(MAX_CONCURRENCY)

    def invoke(self, event: Any) -> Any:
        with self._slots:
            worker = self._acquire()
            try:
                result = worker.invoke(event)
            finally:
                self._release(worker)
            return result

    def take_all(self) -> list[Worker]:
        """Every worker, which the pool forgets: to stop them."""
        with self._lock:
            workers, self._all, self._idle = self._all, [], []
        return workers

    def _acquire(self) -> Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        worker = Worker(self.config, self._lock_wait)
        init_ms = worker.wait_ready()
        log.info("%s: cold start, %d ms init (worker pid %d)", self.config.label, init_ms, worker.pid)
        with self._lock:
            self._all.append(worker)
        return worker

    def _release(self, worker: Worker) -> None:
        with self._lock:
            if worker.alive():
                self._idle.append(worker)
            elif worker in self._all:
                self._all.remove(worker)


class Workers:
    """Every function's pool, made on the function's first invocation from its configuration."""

    def __init__(self, configure: Callable[[str], FunctionConfig], lock_wait: LockWait = lambda _: 0.0) -> None:
        self._configure = configure
        self._lock_wait = lock_wait
        self._pools: dict[str, FunctionPool] = {}
        self._lock = threading.Lock()

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Runs the function `logical_id` on `event` and returns its result; raises FunctionError."""
        return self._pool(logical_id).invoke(event)

    def stop(self) -> None:
        """Stops every worker, all at once: each gets the same grace to finish what it is doing."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        workers = [worker for pool in pools for worker in pool.take_all()]
        for worker in workers:
            worker.close()
        deadline = time.monotonic() + STOP_GRACE
        for worker in workers:
            worker.finish(deadline)

    def _pool(self, logical_id: str) -> FunctionPool:
        with self._lock:
            if logical_id not in self._pools:
                self._pools[logical_id] = FunctionPool(self._configure(logical_id), self._lock_wait)
            return self._pools[logical_id]
