"""Customer 360 API: GET /contacts/{id}/360, the one read of a contact's whole picture.

Its own function, apart from /contacts: the view's model is made of every context's part (rapport.views.customer360),
and importing them all on each cold start of the contacts function made its creates and lists wait for them too.
"""

from aws_lambda_powertools.event_handler import Response

from rapport.api.http import caller, create_app, entrypoint, record_response
from rapport.api.records import RecordIdParam, responses
from rapport.views.customer360 import ContactOverview, contact_overview

app = create_app()


@app.get(
    "/contacts/<record_id>/360",
    tags=["customer360"],
    operation_id="getContact360",
    summary="The customer's whole picture: profile, account, open deals, open tasks, next appointment, "
    "latest interactions, lifetime value (one read)",
    responses=responses(200, ContactOverview),
)
def get_contact_360(record_id: RecordIdParam) -> Response[ContactOverview]:  # type: ignore[valid-type]
    return record_response(contact_overview(caller(app), record_id))


lambda_handler = entrypoint(app)
