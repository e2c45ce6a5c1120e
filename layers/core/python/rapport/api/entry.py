"""Every function's Lambda entry point: its `handler.lambda_handler`, imported once Powertools is narrowed."""

from __future__ import annotations

import importlib
from typing import Any

from rapport.api.powertools import narrow_powertools

narrow_powertools()
lambda_handler: Any = importlib.import_module("handler").lambda_handler
