"""Tables of the workflow engine."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime, utcnow
from ..extensions import Model


class WorkflowMixin:
    """The columns every object under a workflow carries.

    ``workflow_hash`` pins the definition version the object started under;
    ``version`` is the optimistic lock counter, raised by every transition.
    """

    workflow_name: Mapped[str] = mapped_column(String(60))
    workflow_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkflowDefinitionVersion(Model):
    """Every version of a definition that an object started under (kept forever)."""

    __tablename__ = "workflow_definition_version"
    __table_args__ = (UniqueConstraint("name", "hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    hash: Mapped[str] = mapped_column(String(64))
    applies_to: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BodyWorkflow(Model):
    """The workflow a body chose for one slot (kind of object)."""

    __tablename__ = "body_workflow"
    __table_args__ = (UniqueConstraint("body_id", "applies_to"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id", ondelete="CASCADE"))
    applies_to: Mapped[str] = mapped_column(String(40))
    workflow_name: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class WorkflowTimerRun(Model):
    """A timer that fired: once per object, state entry and timer (unique)."""

    __tablename__ = "workflow_timer_run"
    __table_args__ = (UniqueConstraint("object_type", "object_id", "entry_version", "timer_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    entry_version: Mapped[int] = mapped_column(Integer)
    timer_key: Mapped[str] = mapped_column(String(200))
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
