"""Helpers for the workflow tests: demo users, papers, a controllable poll."""

from __future__ import annotations

from typing import Any

from conftest import demo_body, demo_user

user = demo_user


body = demo_body


def make_paper(
    author: str = "member", body_short: str = "VK", kind: str = "resolution", text: str = "Text"
) -> Any:
    from netzwerk.papers.services import create_paper

    return create_paper(
        user(author),
        body_id=body(body_short).id,
        kind=kind,
        title=f"Vorlage von {author}",
        text=text,
    )


class FakePolls:
    """A poll result provider for tests: results[(type, id)] = True/False."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, int], bool] = {}

    def __call__(self, object_type: str, obj: Any) -> bool | None:
        return self.results.get((object_type, obj.id))
