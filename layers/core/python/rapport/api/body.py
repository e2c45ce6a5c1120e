"""What a request body must be before anything parses it: JSON of a bounded size, depth and number length.

The standard library's parser recurses per nesting level (RecursionError on a deep document) and refuses
integers of more than 4300 digits with a ValueError: either would be a 500. One iterative pass over the text
finds both first, so the parser only ever sees documents it handles.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rapport.errors import FieldError, InvalidInput, PayloadTooLarge, RapportError

MAX_BYTES = 1_048_576  # the largest body a route takes (a template's 100,000-character HTML, escaped) fits
MAX_DEPTH = 32
MAX_NUMBER_LENGTH = 40  # an amount or rate needs 25 characters at most
# What the scan looks at: a string (skipped whole, escapes included, even unterminated), a bracket, or a run of
# the characters numbers are made of. Possessive repeats: the regex engine neither backtracks nor recurses.
_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]|[-+0-9.eE]++', re.DOTALL)


def problem(body: bytes) -> RapportError | None:
    """Why `body` (UTF-8, decoded from the event) may not be parsed, or None when it may."""
    if len(body) > MAX_BYTES:
        return PayloadTooLarge(f"The body is {len(body)} bytes; at most {MAX_BYTES} are accepted.")
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return _invalid("is not UTF-8 text", "encoding")
    return _structure_problem(text)


def _structure_problem(text: str) -> RapportError | None:
    depth = 0
    for token in _TOKENS.finditer(text):
        first = token.group()[0]
        if first == '"':
            continue
        if first in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _invalid(f"nests arrays and objects deeper than {MAX_DEPTH} levels", "too_deep")
        elif first in "]}":
            depth -= 1
        elif len(token.group()) > MAX_NUMBER_LENGTH:
            return _invalid(f"holds a number longer than {MAX_NUMBER_LENGTH} characters", "number_too_long")
    return None


def _invalid(message: str, code: str) -> InvalidInput:
    return InvalidInput(f"The body {message}.", [FieldError("", f"The body {message}.", code)])


def loads(text: str) -> Any:
    """`json.loads` for request bodies: NaN and Infinity, which Python accepts, are not JSON."""
    return json.loads(text, parse_constant=_not_json)


def _not_json(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)
