"""DSNs in the standard form ``http://<public_key>@<host>:<port>/<project_id>``."""

from urllib.parse import urlsplit


def dsn_for(base_url: str, public_key: str, project_id: int) -> str:
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{public_key}@{parts.netloc}{path}/{project_id}"
