"""Custom fields API: /custom-fields, the fields each record family carries under `custom` (a settings document)."""

from rapport.api.http import create_app, entrypoint
from rapport.api.settings import register_settings_routes
from rapport.custom_fields.service import DOCUMENT

app = create_app()

register_settings_routes(
    app,
    DOCUMENT,
    "/custom-fields",
    tag="custom_fields",
    name="CustomFields",
    reads="The custom fields of each record family (none until defined)",
    replaces="Replace the custom fields (admin)",
    description="Per family (`accounts`, `contacts`, `leads`, `deals`, `tasks`, `cases`): fields with `key`, `label`, "
    "`type`, `required`, `unique`, `options`. While records hold values, a field's type and uniqueness stay, "
    "it stays defined, and the options they chose stay: 409 naming the field.",
    conflicts=True,
)

lambda_handler = entrypoint(app)
