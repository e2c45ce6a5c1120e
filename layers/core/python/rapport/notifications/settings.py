"""The tenant's notification settings: the time zone and locale its customers' messages are written in.

Staff users have their own (`time_zone`, `locale` on their profile); a customer (contact) reads times as the
tenant sets them here, UTC and en-US until it does. A settings document (rapport.settings), at
`keys.settings_document_key(tenant, notifications_manifest.NOTIFICATION_SETTINGS)`.
"""

from __future__ import annotations

from rapport.locales import DEFAULT_LOCALE, DEFAULT_TIME_ZONE, Locale, TimeZone
from rapport.notifications import manifest as notifications_manifest
from rapport.settings import SettingsDocument
from rapport.types import StrictModel


class NotificationSettings(StrictModel):
    time_zone: TimeZone = DEFAULT_TIME_ZONE
    locale: Locale = DEFAULT_LOCALE


NOTIFICATION_SETTINGS = SettingsDocument(
    notifications_manifest.NOTIFICATION_SETTINGS,
    NotificationSettings,
    resource="notification_settings",
    default=lambda _: NotificationSettings(),
)
