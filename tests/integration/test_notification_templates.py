"""The notification templates API: defaults until saved, checked saves over the version read, previews."""

from __future__ import annotations

from rapport.notifications.catalog import Channel, templates
from tools.lambda_api import Staff, call

MARKETING = Staff().as_("marketing")
EMAIL = {"name": "lead_assigned", "channel": "email"}
SMS = {"name": "task_reminder", "channel": "sms"}


def test_every_name_and_channel_is_listed_with_its_defaults_until_saved():
    reply = call("listNotificationTemplates", MARKETING)
    assert reply.status == 200
    items = reply.body["items"]
    listed = [(item["name"], item["channel"]) for item in items]
    assert sorted(listed) == sorted((name, channel) for name in templates() for channel in Channel)
    assert {("lead_assigned", "email"), ("daily_digest", "sms"), ("case_reply", "email")} <= set(listed)
    assert not any(item["customized"] for item in items)
    assert "lead.name" in next(item for item in items if item["name"] == "lead_assigned")["variables"]


def test_sales_may_not_read_templates():
    assert call("listNotificationTemplates", Staff()).status == 403


def test_save_then_read_then_save_again_only_with_if_match():
    body = {"subject": "{{ lead.name }}", "text": "Hi {{ recipient.first_name }}"}
    first = call("putNotificationTemplate", MARKETING, path=EMAIL, body=body, headers={"If-Match": None})
    assert first.status == 428, "the default is version 0: a first save sends If-Match too"
    saved = call("putNotificationTemplate", MARKETING, path=EMAIL, body=body, headers={"If-Match": '"0"'})
    assert saved.status == 200, saved.body
    assert saved.etag == '"1"'
    assert saved.body["customized"] is True
    read = call("getNotificationTemplate", MARKETING, path=EMAIL)
    assert read.body["subject"] == "{{ lead.name }}" and read.etag == '"1"'
    listed = call("listNotificationTemplates", MARKETING).body["items"]
    assert [item["version"] for item in listed if item["customized"]] == [1]

    again = call("putNotificationTemplate", MARKETING, path=EMAIL, body=body, headers={"If-Match": None})
    assert again.status == 428
    stale = call("putNotificationTemplate", MARKETING, path=EMAIL, body=body, headers={"If-Match": '"0"'})
    assert stale.status == 412
    changed = {**body, "text": "Hello {{ recipient.first_name }}"}
    ok = call("putNotificationTemplate", MARKETING, path=EMAIL, body=changed, headers={"If-Match": '"1"'})
    assert ok.status == 200 and ok.etag == '"2"'
    other_tenant = call("getNotificationTemplate", Staff(tenant="tenant-b", groups=("admin",)), path=EMAIL)
    assert other_tenant.body["customized"] is False


def test_unknown_variables_and_bad_syntax_are_422_naming_them():
    body = {"subject": "Hi", "text": "{{ lead.name }} {{ task.title }} {{ __class__ }}"}
    reply = call("putNotificationTemplate", MARKETING, path=EMAIL, body=body, headers={"If-Match": '"0"'})
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "text"
    assert "__class__" in reply.body["detail"]
    body = {"subject": "Hi", "text": "{{ lead.name }} {{ task.title }}"}
    reply = call("putNotificationTemplate", MARKETING, path=EMAIL, body=body, headers={"If-Match": '"0"'})
    assert reply.status == 422
    assert "{{ task.title }} is not a variable of lead_assigned" in reply.body["errors"][0]["message"]


def test_an_sms_is_text_only_and_at_most_1600_characters():
    reply = call("putNotificationTemplate", MARKETING, path=SMS, body={"text": "x" * 1601}, headers={"If-Match": '"0"'})
    assert reply.status == 422
    reply = call(
        "putNotificationTemplate", MARKETING, path=SMS, body={"text": "{{ task.title }}"}, headers={"If-Match": '"0"'}
    )
    assert reply.status == 200


def test_unknown_names_and_channels_are_404_and_400():
    assert call("getNotificationTemplate", MARKETING, path={"name": "nope", "channel": "email"}).status == 404
    assert call("getNotificationTemplate", MARKETING, path={"name": "lead_assigned", "channel": "fax"}).status in (
        400,
        422,
    )


def test_preview_renders_with_the_sample_or_the_given_context_escaping_html():
    sample = call("previewNotificationTemplate", MARKETING, path=EMAIL, body={})
    assert sample.status == 200
    assert sample.body["subject"] == "New lead: Rachael Rosen (Tyrell Corporation)"
    assert sample.body["missing"] == []

    context = {"lead": {"name": "<b>Evil</b>", "company": "{{ recipient.name }}"}}
    reply = call("previewNotificationTemplate", MARKETING, path=EMAIL, body={"context": context})
    assert "&lt;b&gt;Evil&lt;/b&gt;" in reply.body["html"]
    assert "<b>Evil</b>" in reply.body["text"]
    assert "{{ recipient.name }}" in reply.body["subject"]  # a value is never evaluated
    assert "lead.score" in reply.body["missing"]

    draft = {"template": {"subject": "{{ lead.name }}", "text": "{{ lead.nope }}"}}
    reply = call("previewNotificationTemplate", MARKETING, path=EMAIL, body=draft)
    assert reply.status == 422
    assert reply.body["errors"][0]["field"] == "template.text"


def test_each_name_and_channel_keeps_its_own_history():
    body = {"subject": "{{ lead.name }}", "text": "Hi"}
    assert call("putNotificationTemplate", MARKETING, path=EMAIL, body=body, headers={"If-Match": '"0"'}).status == 200
    sms = {"name": "lead_assigned", "channel": "sms"}
    email_history = call("listNotificationTemplateHistory", MARKETING, path=EMAIL).body["items"]
    assert [(save["version"], save["updated_by"]) for save in email_history] == [(1, MARKETING.user)]
    assert call("listNotificationTemplateHistory", MARKETING, path=sms).body["items"] == []
    assert call("listNotificationTemplateHistory", Staff(), path=EMAIL).status == 403
    unknown = call("listNotificationTemplateHistory", MARKETING, path={"name": "nope", "channel": "email"})
    assert unknown.status == 404
