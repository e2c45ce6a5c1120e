"""The tenant's analytics settings (`GET/PUT /analytics-settings`, a settings document, rapport.settings): when a
customer's drop in buying makes it deserting and when its silence makes it lost (rapport.orders.churn)."""

from __future__ import annotations

from rapport.orders import manifest
from rapport.orders.churn import AnalyticsSettings
from rapport.settings import SettingsDocument

ANALYTICS_SETTINGS = SettingsDocument(
    manifest.ANALYTICS_SETTINGS, AnalyticsSettings, resource="analytics_settings", default=lambda _: AnalyticsSettings()
)
