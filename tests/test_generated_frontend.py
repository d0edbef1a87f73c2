"""The dashboard's committed OpenAPI snapshot equals the document the backend generates.

`frontend/src/lib/generated/api-schema.ts` is generated from that snapshot (`npm --prefix frontend
run gen:api:check` guards that second step), so together they keep the dashboard's response types
equal to the backend's pydantic schemas.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.generate import openapi_schema


@pytest.fixture(scope="module")
def generated() -> bytes:
    return openapi_schema.render(openapi_schema.openapi_document())


def test_committed_openapi_snapshot_matches_the_backend(generated: bytes) -> None:
    assert openapi_schema.SNAPSHOT.read_bytes() == generated, (
        f"{openapi_schema.SNAPSHOT} differs from the backend's OpenAPI document: run "
        "`python -m tools.generate.openapi_schema && npm --prefix frontend run gen:api` and commit both"
    )


def test_check_fails_on_a_hand_edited_snapshot(generated: bytes, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tmp_path / "openapi.json"
    snapshot.write_bytes(generated.replace(b'"title": "Tribunal API"', b'"title": "edited"'))
    monkeypatch.setattr(openapi_schema, "SNAPSHOT", snapshot)

    assert openapi_schema.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert openapi_schema.main([]) == 0
    assert snapshot.read_bytes() == generated
    assert openapi_schema.main(["--check"]) == 0
