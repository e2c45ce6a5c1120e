"""The template language: dotted names only, values substituted once, HTML escaped where it is HTML."""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterable
from typing import Any

import pytest

from rapport.errors import InvalidInput
from rapport.locales import Locale
from rapport.notifications.catalog import SMS_MAX_LENGTH, Channel, templates
from rapport.notifications.models import TemplateContent
from rapport.notifications.rendering import Audience, TemplateSyntaxError, lookup, parse, render
from rapport.notifications.templates import check, render_content
from tests.integration.notification_contract import stray_marks

pytestmark = pytest.mark.usefixtures("no_sockets")


def test_dotted_paths_look_up_nested_values():
    context = {"lead": {"name": "Rachael", "score": 72, "hot": True}, "link": "https://x.example/1"}
    rendered = render(parse("{{lead.name}} ({{ lead.score }}, hot: {{ lead.hot }}) {{  link  }}"), context)
    assert rendered.text == "Rachael (72, hot: yes) https://x.example/1"
    assert rendered.missing == []


def test_missing_none_blank_and_non_scalar_values_render_as_nothing_and_are_reported():
    context = {"lead": {"id": "L1", "name": None, "tags": ["a"], "owner": {"id": "u1"}, "company": " "}}
    template = parse("{{ lead.id }}[{{ lead.name }}][{{ lead.tags }}][{{ lead.owner }}][{{ lead.company }}]")
    rendered = render(template, context)
    assert rendered.text == "L1[][][][]"
    assert rendered.missing == ["lead.name", "lead.tags", "lead.owner", "lead.company"]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"name": "Leon", "phone": "+1 555"}, "Hi Leon\nPhone: +1 555\nBye\n"),
        ({"name": "Leon"}, "Hi Leon\nBye\n"),
        ({"phone": "+1 555"}, "Phone: +1 555\nBye\n"),
        ({"name": "", "phone": None}, "Bye\n"),
    ],
)
def test_a_line_whose_values_are_all_missing_disappears_with_its_line_break(context, expected):
    template = parse("Hi {{ name }}\nPhone: {{ phone }}\nBye\n")
    assert render(template, context).text == expected


def test_a_line_keeps_its_other_values_and_a_line_without_placeholders_always_stays():
    template = parse("{{ a }} and {{ b }}\n\nPlain line\n{{ c }}")
    assert render(template, {"a": "A"}).text == "A and \n\nPlain line\n"


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"name": "Leon", "company": "Tyrell"}, "New lead: Leon (Tyrell) (score)"),
        ({"name": "Leon"}, "New lead: Leon (score)"),
        ({"name": "Leon", "company": "", "score": 7}, "New lead: Leon (score)"),
    ],
)
def test_parentheses_whose_values_are_all_missing_disappear_with_the_space_before(context, expected):
    template = parse("New lead: {{ name }} ({{ company }}) (score)")
    assert render(template, context).text == expected


def test_nested_parentheses_go_only_as_far_as_their_values_are_missing():
    template = parse("{{ a }} ({{ b }} ({{ c }}))")
    assert render(template, {"a": "A", "b": "B"}).text == "A (B)"
    assert render(template, {"a": "A", "c": "C"}).text == "A ( (C))"
    assert render(template, {"a": "A"}).text == "A"


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (Audience(), "Mon, Nov 23, 2026, 2:00 PM UTC"),
        (Audience(time_zone="America/New_York"), "Mon, Nov 23, 2026, 9:00 AM EST"),
        (Audience(time_zone="Europe/London", locale=Locale.EN_GB), "Mon 23 Nov 2026, 14:00 GMT"),
        (Audience(time_zone="Europe/Berlin", locale=Locale.DE_DE), "Mo., 23. Nov. 2026, 15:00 CET"),
        (Audience(time_zone="Europe/Paris", locale=Locale.FR_FR), "lun. 23 nov. 2026, 15:00 CET"),
        (Audience(time_zone="Asia/Kolkata", locale=Locale.ES_ES), "lun, 23 nov 2026, 19:30 IST"),
    ],
)
def test_instants_are_written_in_the_readers_time_zone_and_locale(audience, expected):
    rendered = render(
        parse("{{ appointment.starts_at }}"), {"appointment": {"starts_at": "2026-11-23T14:00:00Z"}}, audience=audience
    )
    assert rendered.text == expected


def test_only_variables_named_at_holding_a_zoned_iso_time_are_instants():
    context = {
        "a_at": "tomorrow",
        "b_at": "2026-11-23",
        "starts": "2026-11-23T14:00:00Z",
        "c_at": "2026-07-01T00:30:00+02:00",
    }
    rendered = render(
        parse("{{ a_at }}|{{ b_at }}|{{ starts }}|{{ c_at }}"), context, audience=Audience(locale=Locale.EN_GB)
    )
    assert rendered.text == "tomorrow|2026-11-23|2026-11-23T14:00:00Z|Tue 30 Jun 2026, 22:30 UTC"


def test_links_are_absolute_under_the_app_url():
    audience = Audience(app_url="https://crm.example.com/app/")
    context = {
        "link": "/leads/L1",
        "deal": {"link": "/deals/D1"},
        "other_link": "https://elsewhere.example/x",
        "path": "/p",
    }
    rendered = render(parse("{{ link }} {{ deal.link }} {{ other_link }} {{ path }}"), context, audience=audience)
    assert (
        rendered.text
        == "https://crm.example.com/app/leads/L1 https://crm.example.com/app/deals/D1 https://elsewhere.example/x /p"
    )
    assert render(parse('<a href="{{ link }}">x</a>'), context, escape_html=True, audience=audience).text == (
        '<a href="https://crm.example.com/app/leads/L1">x</a>'
    )


def test_html_bodies_escape_every_value_but_keep_the_templates_markup():
    context = {"lead": {"name": '<script>alert("x")</script> & co'}}
    rendered = render(parse("<p>{{ lead.name }}</p>"), context, escape_html=True)
    assert rendered.text == "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co</p>"
    assert render(parse("{{ lead.name }}"), context).text == context["lead"]["name"]  # plain text stays plain


def test_subjects_are_one_line():
    assert render(parse("Re: {{ a }}"), {"a": "x\r\nBcc: evil@example.com"}, one_line=True).text == (
        "Re: x Bcc: evil@example.com"
    )


def test_substituted_values_are_never_evaluated_again():
    context = {"a": "{{ b }}", "b": "secret"}
    assert render(parse("{{ a }}"), context).text == "{{ b }}"


@pytest.mark.parametrize(
    "text",
    [
        "{{ __class__ }}",
        "{{ a.__dict__ }}",
        "{{ a.__class__.__mro__ }}",
        "{{ _private }}",
        "{{ a[0] }}",
        "{{ a['b'] }}",
        "{{ a() }}",
        "{{ a | upper }}",
        "{{ a + b }}",
        "{% for x in a %}{{ x }}{% endfor %}",
        "{{ 7*7 }}",
        "{{ a..b }}",
        "{{ }}",
        "{{ a",
        "a }}",
        "{{ a {{ b }} }}",
    ],
)
def test_anything_but_a_dotted_name_is_refused(text):
    with pytest.raises(TemplateSyntaxError):
        parse(text)


def test_lookup_follows_mapping_keys_only_never_attributes():
    class Sneaky(dict):  # type: ignore[type-arg]
        secret = "attribute"

    assert lookup({"a": Sneaky()}, "a.secret") is None
    assert lookup({"a": "text"}, "a.upper") is None
    assert lookup({"a": {"b": {"c": 1}}}, "a.b.c") == 1


def test_saving_refuses_variables_the_template_does_not_declare():
    spec = templates()["task_reminder"]
    content = TemplateContent(subject="{{ task.title }}", text="{{ lead.name }} {{ task.secret }}")
    with pytest.raises(InvalidInput) as raised:
        check(spec, Channel.EMAIL, content)
    assert [(e.field, e.code) for e in raised.value.errors] == [
        ("text", "unknown_variable"),
        ("text", "unknown_variable"),
    ]
    assert "{{ lead.name }}" in raised.value.errors[0].message
    assert "{{ task.secret }}" in raised.value.errors[1].message


def test_channel_rules_an_email_needs_a_subject_an_sms_only_text_of_at_most_1600():
    spec = templates()["task_reminder"]
    with pytest.raises(InvalidInput) as raised:
        check(spec, Channel.EMAIL, TemplateContent(text="hi"))
    assert raised.value.errors[0].field == "subject"
    with pytest.raises(InvalidInput) as raised:
        check(spec, Channel.SMS, TemplateContent(subject="s", html="<p>h</p>", text="x" * (SMS_MAX_LENGTH + 1)))
    assert {e.field for e in raised.value.errors} == {"subject", "html", "text"}


@pytest.mark.parametrize("name", sorted(templates()))
def test_every_default_is_valid_and_renders_its_sample_cleanly(name):
    spec = templates()[name]
    assert spec.required <= spec.variables
    for channel in Channel:
        content = spec.defaults[channel]
        check(spec, channel, TemplateContent(subject=content.subject, text=content.text, html=content.html))
        rendered = render_content(content, spec.sample)
        assert set(rendered.missing).isdisjoint(spec.required), (name, channel)
        for part in (rendered.subject, rendered.text, rendered.html):
            assert stray_marks(part or "") == [], (name, channel, part)
        if channel is Channel.SMS:
            assert len(rendered.text) <= 160 * 2, (name, rendered.text)


def _without(context: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    trimmed = copy.deepcopy(context)
    for path in paths:
        *parents, name = path.split(".")
        holder = lookup(trimmed, ".".join(parents)) if parents else trimmed
        if isinstance(holder, dict):
            holder[name] = random.choice([None, "", "  "])
    return trimmed


@pytest.mark.parametrize("name", sorted(templates()))
def test_every_default_renders_cleanly_without_any_combination_of_its_optional_values(name):
    spec = templates()[name]
    # A digest's item is there with what names it (a deal's name, a task's title: required fields of those records).
    optional = sorted(
        path
        for path in spec.variables - spec.required
        if lookup(spec.sample, path) is not None and not re.fullmatch(r"digest\.(deal\d\.name|task\d\.title)", path)
    )
    combinations = [
        [],
        optional,
        *([path] for path in optional),
        *([p for p in optional if p != path] for path in optional),
    ]
    for removed in combinations:
        context = _without(spec.sample, removed)
        for channel in Channel:
            rendered = render_content(spec.defaults[channel], context)
            for part in (rendered.subject, rendered.text, rendered.html):
                assert stray_marks(part or "") == [], (name, channel, removed, part)
