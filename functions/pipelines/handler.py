"""Pipelines API: /pipelines (no delete: a pipeline's deals keep pointing at it)."""

from aws_lambda_powertools.event_handler import Response

from rapport.api.http import PageOf, caller, create_app, entrypoint, page_response
from rapport.api.records import Cursor, Limit, register_record_routes, responses
from rapport.deals.models import Pipeline, PipelineCreate, PipelinePatch
from rapport.deals.pipelines import pipelines
from rapport.pagination import DEFAULT_LIMIT

app = create_app()
register_record_routes(app, pipelines, PipelineCreate, PipelinePatch, Pipeline, skip=frozenset({"delete", "restore"}))


@app.get(
    "/pipelines",
    tags=["pipelines"],
    operation_id="listPipelines",
    summary="List pipelines by name",
    responses=responses(200, PageOf[Pipeline]),
)
def list_pipelines(
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response[PageOf[Pipeline]]:
    return page_response(pipelines.search(caller(app), limit=limit, cursor=cursor))


lambda_handler = entrypoint(app)
