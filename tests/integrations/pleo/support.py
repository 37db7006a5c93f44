"""Constants and small helpers shared by the Pleo client tests."""
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

__all__ = ["CONTRACT_DIR", "BASE_URL", "TOKEN", "COMPANY_ID", "JOB_ID", "query_of", "body_of", "page"]

REPO_ROOT = Path(__file__).resolve().parents[3]
# The contract lives beside the repository (CI's clone has shared/ beside it too).
CONTRACT_DIR = REPO_ROOT.parent / "shared" / "pleo-api"
BASE_URL = "https://pleo.test"
TOKEN = "pleo-test-token-7f3a9c1e5b2d"
COMPANY_ID = "5f1c2d3e-8a9b-4c7d-9e0f-1a2b3c4d5e6f"
JOB_ID = "3f8e2a71-5c4d-4b9e-8a1f-6d2c7b9e0a14"


def query_of(call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query, keep_blank_values=True)


def body_of(call):
    return json.loads(call.request.body)


def page(data: list, *, end_cursor: str | None = None, has_next: bool = False) -> dict:
    """A `CursorPaginatedResponse` envelope around `data`."""
    return {
        "data": data,
        "pagination": {
            "currentRequestPagination": {"parameters": {}},
            "startCursor": "GEZDGNBVGY3TQOJQ",
            "endCursor": end_cursor,
            "hasNextPage": has_next,
            "hasPreviousPage": False,
        },
    }
