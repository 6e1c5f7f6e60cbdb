"""Fixtures of the workflow tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from netzwerk.workflow import registry

from .helpers import FakePolls


@pytest.fixture
def polls() -> Iterator[FakePolls]:
    fake = FakePolls()
    registry.poll_result_providers.append(fake)
    try:
        yield fake
    finally:
        registry.poll_result_providers.remove(fake)


@pytest.fixture
def wf(app_ctx: Any, demo: None) -> Any:
    """The demo network inside an app context."""
    return app_ctx
