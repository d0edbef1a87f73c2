"""The backend's OpenAPI document, committed as `frontend/src/lib/generated/openapi.json`.

The dashboard's response types (`frontend/src/lib/generated/api-schema.ts`) are generated from this
snapshot by `npm --prefix frontend run gen:api`, so the backend's pydantic schemas are their one
source: after this generator rewrites the snapshot, run that too (its `gen:api:check` fails until
then). The app is built as the tests build it, on a throwaway SQLite file with no indexer and no
chain: the document depends only on the routes and their models.

    python -m tools.generate.openapi_schema           # rewrite the snapshot
    python -m tools.generate.openapi_schema --check   # exit 1 if the committed snapshot is stale
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools.generate import Outputs, generator_main
from tribunal.paths import REPO_ROOT

SNAPSHOT = REPO_ROOT / "frontend" / "src" / "lib" / "generated" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of `backend.api.app.create_app`, built without a chain or a server."""
    from backend.api.app import create_app
    from backend.settings import BackendSettings

    with tempfile.TemporaryDirectory(prefix="tribunal-openapi-") as tmp:
        folder = Path(tmp)
        settings = BackendSettings(
            database_url=f"sqlite:///{folder / 'openapi.sqlite'}",
            artifact_dir=folder / "artifacts",
            frontend_dir=folder / "no-frontend",
            index=False,
            celery_broker_url=None,
        )
        app = create_app(settings, run_indexer=False, migrate=False)
        document = app.openapi()
        app.state.tribunal.engine.dispose()
    return document


def render(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def outputs() -> Outputs:
    return {SNAPSHOT: render(openapi_document())}


main = generator_main("tools.generate.openapi_schema", __doc__, outputs)

if __name__ == "__main__":
    sys.exit(main())
