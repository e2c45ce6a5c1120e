"""A tenant's notification templates: a settings document per name and channel (rapport.settings), read (saved,
or the catalog's default at version 0), saved (checked) with its history, previewed, and resolved for a message.

A template's key is `<name>.<channel>`; the catalog (rapport.notifications.catalog) has the names, their variables
and defaults. Saving checks the syntax and refuses any variable the template's name does not declare (422 naming
it), so what is stored always renders. Templates saved before they were settings documents were records at the
same place; they read the same, and their next save makes them documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rapport.auth import Action, Caller
from rapport.errors import FieldError, InvalidInput, NotFound
from rapport.notifications import manifest
from rapport.notifications.catalog import SMS_MAX_LENGTH, Channel, Content, TemplateSpec, templates
from rapport.notifications.models import NotificationTemplate, Preview, PreviewRequest, TemplateContent
from rapport.notifications.rendering import Audience, TemplateSyntaxError, parse, render
from rapport.settings import DocumentMeta, SettingsDocument

RESOURCE = "notification_templates"


def template_id(name: str, channel: Channel) -> str:
    return f"{name}.{channel}"


def spec_of(name: str) -> TemplateSpec:
    spec = templates().get(name)
    if spec is None:
        raise NotFound(f"No notification template is named {name}; the names are {', '.join(sorted(templates()))}.")
    return spec


def _named(key: str | None) -> tuple[TemplateSpec, Channel]:
    name, _, channel = str(key).rpartition(".")
    return spec_of(name), Channel(channel)


def check(spec: TemplateSpec, channel: Channel, content: TemplateContent, location: str = "body") -> TemplateContent:
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
    return content


def _default(key: str | None) -> TemplateContent:
    """Rapport's template for a name and channel, until the tenant saves its own."""
    spec, channel = _named(key)
    content = spec.defaults[channel]
    return TemplateContent(text=content.text, subject=content.subject, html=content.html)


class TemplateDocument(SettingsDocument[TemplateContent]):
    """A document per template name and channel, keyed `<name>.<channel>`."""

    def key_of(self, **path: Any) -> str:
        spec_of(path["name"])
        return template_id(path["name"], path["channel"])

    def keys(self) -> list[str]:
        return [template_id(name, channel) for name in sorted(templates()) for channel in Channel]

    def label_of(self, key: str | None) -> str:
        spec, channel = _named(key)
        return f"{channel} template {spec.name}"

    def validate(self, key: str | None, content: TemplateContent) -> TemplateContent:
        return check(*_named(key), content)

    def described(self, key: str | None, meta: DocumentMeta) -> dict[str, Any]:
        spec, channel = _named(key)
        return {
            "name": spec.name,
            "channel": channel,
            "description": spec.description,
            "variables": sorted(spec.variables),
            "customized": meta.version > 0,
        }


TEMPLATES_DOCUMENT = TemplateDocument(
    manifest.NOTIFICATION_TEMPLATE,
    TemplateContent,
    document=NotificationTemplate,
    resource=RESOURCE,
    default=_default,
)


def stored(tenant_id: str, name: str, channel: Channel) -> TemplateContent:
    """What applies to `name` on `channel`: the tenant's saved template, else the default."""
    return TEMPLATES_DOCUMENT.read(tenant_id, template_id(name, channel)).content


def render_content(
    content: Content | TemplateContent, context: Mapping[str, Any], audience: Audience | None = None
) -> Preview:
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
    """The template (or a draft, checked as a save would check it) rendered with a context."""
    caller.require(RESOURCE, Action.READ)
    spec = spec_of(name)
    if request.template is not None:
        content = check(spec, channel, request.template, location="template")
    else:
        content = stored(caller.tenant_id, name, channel)
    context = spec.sample if request.context is None else request.context
    rendered = render_content(content, context)
    if channel is Channel.SMS:
        rendered.text = rendered.text[:SMS_MAX_LENGTH]
    return rendered
