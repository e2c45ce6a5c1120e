"""Staff users' profiles: contact details, team, capacity, availability (who may change what: users.service)."""

from __future__ import annotations

from rapport.contexts import Area, Context, Kind

USER = Kind("USER", "user")

CONTEXT = Context(name="users", kinds=(USER,), areas=(Area("users", bench="getUser"),))
