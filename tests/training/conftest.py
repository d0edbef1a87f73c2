"""Training fixtures: each test taking ``small_spec`` runs once per model kind
(the specs are `tests.support.specs`)."""

from __future__ import annotations

import pytest

from tests.support.specs import SPECS
from tribunal.spec import TaskSpec


@pytest.fixture(params=sorted(SPECS))
def small_spec(request: pytest.FixtureRequest) -> TaskSpec:
    spec: TaskSpec = SPECS[request.param]()
    return spec
