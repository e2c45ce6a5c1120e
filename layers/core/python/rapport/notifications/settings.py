"""The tenant's notification settings: the time zone and locale its customers' messages are written in.

Staff users have their own (`time_zone`, `locale` on their profile); a customer (contact) reads times as the
tenant sets them here, UTC and en-US until it does. Stored as `T#<t>#SETTINGS` / `NOTIFICATIONS`.
"""

from __future__ import annotations

from pydantic import BaseModel

from rapport.dal import keys
from rapport.dal import workflows as store
from rapport.notifications.locales import DEFAULT_LOCALE, DEFAULT_TIME_ZONE, Locale
from rapport.users.models import TimeZone


class NotificationSettings(BaseModel):
    time_zone: TimeZone = DEFAULT_TIME_ZONE
    locale: Locale = DEFAULT_LOCALE


def settings(tenant_id: str) -> NotificationSettings:
    stored = store.tenant_setting(tenant_id, keys.NOTIFICATION_SETTINGS_SK)
    return NotificationSettings() if stored is None else NotificationSettings.model_validate(stored)


def set_settings(tenant_id: str, chosen: NotificationSettings, *, actor: str, now: str) -> None:
    store.put_tenant_setting(
        tenant_id, keys.NOTIFICATION_SETTINGS_SK, chosen.model_dump(mode="json"), actor=actor, now=now
    )
