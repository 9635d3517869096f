"""Teams: the book's blueprint example, a table from config ``TEAMS``.

``GET /teams`` lists every team; ``GET /teams/<int:team_id>`` one team. An
unknown team is a 404, not the ``KeyError`` (500) of the book's version.
"""

from __future__ import annotations

from quart import Blueprint, Response, current_app
from quart_schema import document_response

from app.core.documentation import documents_errors
from app.core.errors import APIError
from app.core.responses import respond

blueprint = Blueprint("teams", __name__, url_prefix="/teams")


@blueprint.get("")
@document_response(dict[str, list[str]])
async def all_teams() -> Response:
    """Every team and its members, by team id."""
    teams: dict[str, list[str]] = current_app.config["TEAMS"]
    return respond(teams)


@blueprint.get("/<int:team_id>")
@document_response(list[str])
@documents_errors(404)
async def team(team_id: int) -> Response:
    """The members of one team."""
    members = current_app.config["TEAMS"].get(str(team_id))
    if members is None:
        raise APIError(404, f"There is no team {team_id}.")
    return respond(members)
