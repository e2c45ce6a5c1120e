"""A tenant's notification templates: read (saved, or the defaults), save (checked), preview, and resolve.

Each (name, channel) the catalog knows is one record `T#<t>#NTPL#<name>.<channel>` once the tenant saves it;
until then the catalog's default applies (version 0). Saving checks the syntax and refuses any variable the
template's name does not declare (422 naming it), so what is stored always renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.auth import Action, Caller
from rapport.dal import access, repository
from rapport.dal.repository import Record, StaleVersion
from rapport.errors import FieldError, InvalidInput, NotFound, PreconditionFailed
from rapport.notifications import store
from rapport.notifications.catalog import SMS_MAX_LENGTH, TEMPLATES, Channel, Content, TemplateSpec
from rapport.notifications.manifest import NOTIFICATION_TEMPLATE
from rapport.notifications.models import NotificationTemplate, Preview, PreviewRequest, TemplateContent
from rapport.notifications.rendering import Audience, TemplateSyntaxError, parse, render
from rapport.settings import require_version
from rapport.types import utc_now

RESOURCE = "notification_templates"
LIST_LIMIT = 100  # the catalog's names times channels, with room to spare: one Query reads them all


def template_id(name: str, channel: Channel) -> str:
    return f"{name}.{channel}"


def spec_of(name: str) -> TemplateSpec:
    spec = TEMPLATES.get(name)
    if spec is None:
        raise NotFound(f"No notification template is named {name}; the names are {', '.join(sorted(TEMPLATES))}.")
    return spec


def check(spec: TemplateSpec, channel: Channel, content: TemplateContent, location: str = "body") -> Content:
    """`content` as a template of `spec` on `channel`, or InvalidInput naming every part at fault."""
    errors: list[FieldError] = []
    prefix = f"{location}." if location != "body" else ""
    if channel is Channel.SMS:
        for part in ("subject", "html"):
            if getattr(content, part) is not None:
                errors.append(FieldError(f"{prefix}{part}", "an SMS has only text", "not_allowed"))
        if len(content.text) > SMS_MAX_LENGTH:
            errors.append(FieldError(f"{prefix}text", f"an SMS is at most {SMS_MAX_LENGTH} characters", "too_long"))
    elif content.subject is None:
        errors.append(FieldError(f"{prefix}subject", "an email needs a subject", "missing"))
    for part in ("subject", "text", "html"):
        text = getattr(content, part)
        if text is None:
            continue
        try:
            template = parse(text)
        except TemplateSyntaxError as error:
            errors.append(FieldError(f"{prefix}{part}", str(error), "template_syntax"))
            continue
        for variable in sorted(template.variables - spec.variables):
            errors.append(
                FieldError(
                    f"{prefix}{part}",
                    f"{{{{ {variable} }}}} is not a variable of {spec.name}",
                    "unknown_variable",
                )
            )
    if errors:
        raise InvalidInput(
            f"The {channel} template {spec.name} is not valid: " + "; ".join(e.message for e in errors), errors
        )
    return Content(text=content.text, subject=content.subject, html=content.html)


def stored(tenant_id: str, name: str, channel: Channel) -> tuple[Content, Record | None]:
    """What applies to `name` on `channel`: the tenant's saved template (and its record), else the default."""
    record = repository.get(tenant_id, NOTIFICATION_TEMPLATE, template_id(name, channel))
    if record is None:
        return TEMPLATES[name].defaults[channel], None
    data = record.data
    return Content(text=data["text"], subject=data.get("subject"), html=data.get("html")), record


def _document(spec: TemplateSpec, channel: Channel, content: Content, record: Record | None) -> NotificationTemplate:
    return NotificationTemplate(
        name=spec.name,
        channel=channel,
        description=spec.description,
        variables=sorted(spec.variables),
        subject=content.subject,
        text=content.text,
        html=content.html,
        customized=record is not None,
        version=(record.version or 0) if record else 0,
        updated_at=record.updated_at if record else None,
        updated_by=record.updated_by if record else None,
    )


def list_templates(caller: Caller) -> list[NotificationTemplate]:
    """Every name and channel: the saved ones from ONE Query, the defaults for the rest."""
    caller.require(RESOURCE, Action.READ)
    page = repository.query(access.listed(caller.tenant_id, NOTIFICATION_TEMPLATE), limit=LIST_LIMIT)
    saved = {record.id: record for record in page.records}
    documents = []
    for name, spec in sorted(TEMPLATES.items()):
        for channel in Channel:
            record = saved.get(template_id(name, channel))
            content = (
                Content(text=record.data["text"], subject=record.data.get("subject"), html=record.data.get("html"))
                if record
                else spec.defaults[channel]
            )
            documents.append(_document(spec, channel, content, record))
    return documents


def get_template(caller: Caller, name: str, channel: Channel) -> NotificationTemplate:
    caller.require(RESOURCE, Action.READ)
    spec = spec_of(name)
    return _document(spec, channel, *stored(caller.tenant_id, name, channel))


def save_template(
    caller: Caller, name: str, channel: Channel, content: TemplateContent, expected_version: int | None
) -> NotificationTemplate:
    """Save over the version the caller read (If-Match, `"0"` while the default applies), like every settings
    document (rapport.settings)."""
    caller.require(RESOURCE, Action.UPDATE)
    spec = spec_of(name)
    checked = check(spec, channel, content)
    _, record = stored(caller.tenant_id, name, channel)
    require_version(f"{channel} template {name}", record.version or 0 if record else 0, expected_version)
    now = utc_now()
    if record is None:
        record = Record(
            kind=NOTIFICATION_TEMPLATE,
            id=template_id(name, channel),
            tenant_id=caller.tenant_id,
            data={},
            created_at=now,
            created_by=caller.user_id,
            updated_at=now,
            updated_by=caller.user_id,
        )
    data: dict[str, Any] = {"name": name, "channel": str(channel), "text": checked.text}
    data.update({part: value for part in ("subject", "html") if (value := getattr(checked, part)) is not None})
    record.data = data
    record.updated_at, record.updated_by = now, caller.user_id
    try:
        repository.write(record, store.template_index_keys(caller.tenant_id, record.id))
    except StaleVersion as error:
        raise _stale() from error
    return _document(spec, channel, checked, record)


def _stale() -> PreconditionFailed:
    return PreconditionFailed("The template changed while you saved it; read it again.")


def render_content(content: Content, context: Mapping[str, Any], audience: Audience | None = None) -> Preview:
    """The message `content` makes with `context` for `audience`: subjects on one line, HTML values escaped."""
    missing: list[str] = []
    subject = html = None
    if content.subject is not None:
        rendered = render(parse(content.subject), context, one_line=True, audience=audience)
        subject, missing = rendered.text, missing + rendered.missing
    text = render(parse(content.text), context, audience=audience)
    missing += text.missing
    if content.html is not None:
        rendered = render(parse(content.html), context, escape_html=True, audience=audience)
        html, missing = rendered.text, missing + rendered.missing
    return Preview(subject=subject, text=text.text, html=html, missing=sorted(set(missing)))


def preview(caller: Caller, name: str, channel: Channel, request: PreviewRequest) -> Preview:
    caller.require(RESOURCE, Action.READ)
    spec = spec_of(name)
    if request.template is not None:
        content = check(spec, channel, request.template, location="template")
    else:
        content, _ = stored(caller.tenant_id, name, channel)
    context = spec.sample if request.context is None else request.context
    rendered = render_content(content, context)
    if channel is Channel.SMS:
        rendered.text = rendered.text[:SMS_MAX_LENGTH]
    return rendered
