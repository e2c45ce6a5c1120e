"""The template language: dotted names only, values substituted once, HTML escaped where it is HTML."""

from __future__ import annotations

import pytest

from rapport.errors import InvalidInput
from rapport.notifications.catalog import SMS_MAX_LENGTH, TEMPLATES, Channel
from rapport.notifications.models import TemplateContent
from rapport.notifications.rendering import TemplateSyntaxError, lookup, parse, render
from rapport.notifications.templates import check, render_content

pytestmark = pytest.mark.usefixtures("no_sockets")


def test_dotted_paths_look_up_nested_values():
    context = {"lead": {"name": "Rachael", "score": 72, "hot": True}, "link": "https://x.example/1"}
    rendered = render(parse("{{lead.name}} ({{ lead.score }}, hot: {{ lead.hot }}) {{  link  }}"), context)
    assert rendered.text == "Rachael (72, hot: yes) https://x.example/1"
    assert rendered.missing == []


def test_missing_none_and_non_scalar_values_render_as_nothing_and_are_reported():
    context = {"lead": {"name": None, "tags": ["a"], "owner": {"id": "u1"}}}
    rendered = render(parse("[{{ lead.name }}][{{ lead.tags }}][{{ lead.owner }}][{{ lead.company }}]"), context)
    assert rendered.text == "[][][][]"
    assert rendered.missing == ["lead.name", "lead.tags", "lead.owner", "lead.company"]


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
    spec = TEMPLATES["task_reminder"]
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
    spec = TEMPLATES["task_reminder"]
    with pytest.raises(InvalidInput) as raised:
        check(spec, Channel.EMAIL, TemplateContent(text="hi"))
    assert raised.value.errors[0].field == "subject"
    with pytest.raises(InvalidInput) as raised:
        check(spec, Channel.SMS, TemplateContent(subject="s", html="<p>h</p>", text="x" * (SMS_MAX_LENGTH + 1)))
    assert {e.field for e in raised.value.errors} == {"subject", "html", "text"}


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_default_is_valid_and_renders_its_sample_completely(name):
    spec = TEMPLATES[name]
    for channel in Channel:
        content = spec.defaults[channel]
        check(spec, channel, TemplateContent(subject=content.subject, text=content.text, html=content.html))
        rendered = render_content(content, spec.sample)
        assert rendered.missing == [], (name, channel)
        if channel is Channel.SMS:
            assert len(rendered.text) <= 160 * 2, (name, rendered.text)
