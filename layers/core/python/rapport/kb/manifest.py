"""Knowledge base: articles for staff and, once published as public, for anyone (product information 24x7)."""

from __future__ import annotations

from rapport.auth import EVERYONE, Action, Role
from rapport.contexts import Area, Context, Derivation, Kind, became

ARTICLE = Kind("ARTICLE", "article")
AUTHORS = frozenset({Role.ADMIN, Role.MANAGER, Role.SUPPORT, Role.MARKETING})

CONTEXT = Context(
    name="kb",
    kinds=(ARTICLE,),
    # Support and marketing write the knowledge base; restoring from the trash is a manager's call, erasing an
    # admin's. Every staff member reads it, internal articles included.
    permissions={
        "kb_articles": {
            Action.READ: EVERYONE,
            Action.CREATE: AUTHORS,
            Action.UPDATE: AUTHORS,
            Action.DELETE: AUTHORS,
            Action.RESTORE: frozenset({Role.ADMIN, Role.MANAGER}),
            Action.ERASE: frozenset({Role.ADMIN}),
        },
    },
    derivations={ARTICLE.entity: Derivation(("published",), became("status", "published", "published"))},
    areas=(Area("kb", bench="getArticle"), Area("public_kb", bench="getPublicArticle")),
)
