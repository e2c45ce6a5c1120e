"""Web-to-lead: POST /public/leads from a tenant's website forms, authorized by the form's API key.

No staff token here: API Gateway checks the key (and throttles it by the usage plan) before this runs, and the
tenant comes from the key (`requestContext.identity.apiKeyId`), never from the request. Answers say nothing of
the tenant's data: a new lead and a duplicate get the same 202.
"""

from typing import Any

from aws_lambda_powertools.event_handler import CORSConfig, Response

from rapport.api.http import JSON, create_app, entrypoint
from rapport.api.problems import PROBLEM_JSON, Problem
from rapport.api.records import responses
from rapport.dal.tenancy import tenant_scope
from rapport.leads.models import PublicLeadCreate, Received
from rapport.leads.service import leads
from rapport.web_forms.service import web_forms

API_KEY_SCHEME = "api_key"
# Forms post from the tenants' own websites, wherever they are; the key, not the origin, authorizes them.
app = create_app(CORSConfig(allow_origin="*", allow_headers=["Content-Type", "X-Api-Key"], max_age=600))

_RESPONSES: dict[int, Any] = {
    **responses(202, Received, 429),
    202: {
        "description": "Received: the lead is created, or (a duplicate) recorded on the existing record",
        "content": {JSON: {"model": Received}},
    },
    403: {"description": "No, unknown or revoked API key", "content": {PROBLEM_JSON: {"model": Problem}}},
}


@app.post(
    "/public/leads",
    tags=["public_leads"],
    operation_id="createPublicLead",
    summary="Submit a lead from a website form (web-to-lead)",
    description="Send the form's API key as `x-api-key`. The email and its consent are required; the consent's "
    "source defaults to `web_form:<form id>`. Owner, source and campaign come from the form unless sent.",
    security=[{API_KEY_SCHEME: []}],
    responses=_RESPONSES,
    status_code=202,
)
def create_public_lead(body: PublicLeadCreate) -> Response[Received]:
    identity = app.current_event.request_context.identity
    form = web_forms.form_of_key(identity.api_key_id if identity else None)
    with tenant_scope(form.tenant_id):
        leads.submit(form, body)
    return Response(status_code=202, content_type=JSON, body=Received())


lambda_handler = entrypoint(app)
