"""A project's grouping rules (fingerprint and in-app rules): read and replace."""

from __future__ import annotations

import msgspec

from dedupe import GroupingConfig, InvalidRule, validate_rules
from server.db import clusters as clusters_sql
from server.db.clusters import Conn
from server.errors import Invalid
from server.services import projects
from server.services.wire import reject_nul


def parse_config(text: str) -> GroupingConfig:
    """The rules as edited by a person (the JSON the API accepts); a bad document is ``Invalid`` saying where."""
    try:
        return msgspec.json.decode(text.encode(), type=GroupingConfig)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError too
        raise Invalid(f"the grouping rules are not valid: {exc}", "config") from None


def format_config(config: GroupingConfig) -> str:
    """The rules as the editable JSON document ``parse_config`` reads back."""
    return msgspec.json.format(msgspec.json.encode(config), indent=2).decode()


async def get_config(conn: Conn, organization_id: int, project_id: int) -> GroupingConfig:
    await projects.require(conn, organization_id, project_id)
    raw = (await clusters_sql.grouping_configs(conn, [project_id])).get(project_id)
    return msgspec.convert(raw, GroupingConfig) if raw else GroupingConfig()


async def put_config(conn: Conn, organization_id: int, project_id: int, config: GroupingConfig) -> GroupingConfig:
    """Replace the rules; ``crashdesk regroup`` applies them to past events."""
    await projects.require(conn, organization_id, project_id)
    raw = msgspec.to_builtins(config)
    reject_nul(raw, "grouping config")
    try:
        validate_rules(config.fingerprint_rules)
    except InvalidRule as exc:
        raise Invalid(str(exc), "fingerprint_rules") from None
    await clusters_sql.set_grouping_config(conn, project_id, raw)
    return config
