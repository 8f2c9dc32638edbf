"""Lineage entities: artifacts, actions, contexts and the associations between them.

The nouns follow SageMaker ML Lineage Tracking so a team that knows it can read a graph here at a glance:

* :class:`Artifact` — a thing that exists: a data set (a Delta table *at a version*), a model, a model
  version, code, an image, a baseline.
* :class:`Action` — something that ran: a processing/training/transform job, an approval.
* :class:`Context` — a grouping: an endpoint or batch deployment, a pipeline execution, an experiment, a
  trial, a registered model.
* :class:`Association` — a typed, directed edge ``source -> destination``.

Ids are deterministic (a hash of kind, type, name, source URI and version), so creating the same entity
twice yields one vertex; ``raw@v0`` and ``raw@v1`` are two vertices.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from spark_mlops.errors import InvalidArgumentError

if TYPE_CHECKING:
    from spark_mlops.lineage.store import LineageStore

__all__ = [
    "Action",
    "ActionType",
    "Artifact",
    "ArtifactType",
    "Association",
    "AssociationType",
    "Context",
    "ContextType",
    "EntityKind",
    "LineageEntity",
    "entity_id",
]


class EntityKind(str, Enum):
    """The three kinds of vertex (SageMaker's ``LineageEntityEnum``)."""

    ARTIFACT = "Artifact"
    ACTION = "Action"
    CONTEXT = "Context"


class AssociationType(str, Enum):
    """Edge types. ContributedTo, DerivedFrom and Produced are provenance and may not form a cycle."""

    CONTRIBUTED_TO = "ContributedTo"
    ASSOCIATED_WITH = "AssociatedWith"
    DERIVED_FROM = "DerivedFrom"
    PRODUCED = "Produced"
    SAME_AS = "SameAs"

    @property
    def acyclic(self) -> bool:
        """True for provenance types, whose edges must keep the graph acyclic."""
        return self in _ACYCLIC


_ACYCLIC = {AssociationType.CONTRIBUTED_TO, AssociationType.DERIVED_FROM, AssociationType.PRODUCED}


class ArtifactType:
    """Common artifact types (``LineageSourceEnum``); any non-empty string is accepted."""

    DATASET = "DataSet"
    MODEL = "Model"
    MODEL_VERSION = "ModelVersion"
    CODE = "Code"
    IMAGE = "Image"
    BASELINE = "Baseline"
    FILE = "File"


class ActionType:
    """Common action types; any non-empty string is accepted."""

    PROCESSING_JOB = "ProcessingJob"
    TRAINING_JOB = "TrainingJob"
    TRANSFORM_JOB = "TransformJob"
    APPROVAL = "Approval"


class ContextType:
    """Common context types; any non-empty string is accepted."""

    ENDPOINT = "Endpoint"
    BATCH_DEPLOYMENT = "BatchDeployment"
    PIPELINE_EXECUTION = "PipelineExecution"
    EXPERIMENT = "Experiment"
    TRIAL = "Trial"
    REGISTERED_MODEL = "RegisteredModel"


def entity_id(
    kind: EntityKind | str, type_: str, name: str, source_uri: str | None, version: int | None
) -> str:
    """Deterministic vertex id, e.g. ``artifact-3f2a…``: the same entity always gets the same id."""
    kind_text = EntityKind(kind).value
    key = "\x1f".join([kind_text, type_, name, source_uri or "", "" if version is None else str(version)])
    return f"{kind_text.lower()}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}"


def _text(value: Any, arg: str, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgumentError(f"{arg}: expected a non-empty string, got {value!r}")
    return value


def _version(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"version: expected a non-negative integer or None, got {value!r}")
    return value


def _properties(value: Mapping[str, Any] | None) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidArgumentError(
            f"properties: expected a mapping of str to str, got {type(value).__name__}"
        )
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


@dataclass(frozen=True)
class LineageEntity:
    """A vertex of the lineage graph. Use the subclasses :class:`Artifact`, :class:`Action`, :class:`Context`.

    Attributes:
        id: Deterministic id (see :func:`entity_id`).
        type: Artifact/action/context type, e.g. ``"DataSet"``, ``"TrainingJob"``, ``"Endpoint"``.
        name: Human-readable name (for Delta data sets: the normalized table path or name).
        source_uri: Where the thing lives (table path, ``runs:/…/model``, ``models:/name/2``, a git URL).
        version: Delta table version, model version, …; ``None`` when not versioned.
        properties: Free-form string properties (parameters, run ids, code version).
        created_at: When the vertex was first stored (UTC).
    """

    kind: ClassVar[EntityKind]

    id: str
    type: str
    name: str
    source_uri: str | None = None
    version: int | None = None
    properties: dict[str, str] = field(default_factory=dict)
    created_at: dt.datetime | None = None

    @classmethod
    def build(
        cls,
        name: str,
        type_: str,
        source_uri: str | None = None,
        version: int | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> LineageEntity:
        """Validate the fields and compute the id without storing anything."""
        name_ = _text(name, f"{cls.kind.value.lower()}_name")
        type_text = _text(type_, f"{cls.kind.value.lower()}_type")
        uri = _text(source_uri, "source_uri", allow_none=True)
        ver = _version(version)
        assert name_ is not None and type_text is not None
        return cls(
            id=entity_id(cls.kind, type_text, name_, uri, ver),
            type=type_text,
            name=name_,
            source_uri=uri,
            version=ver,
            properties=_properties(properties),
            created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
        )

    def _save(self, store: LineageStore | None) -> LineageEntity:
        from spark_mlops.lineage.store import resolve_store

        resolve_store(store).add_entities([self])
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (one row of the vertex table)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "type": self.type,
            "name": self.name,
            "source_uri": self.source_uri,
            "version": self.version,
            "properties": dict(self.properties),
            "created_at": self.created_at,
        }

    @staticmethod
    def from_row(row: Mapping[str, Any]) -> LineageEntity:
        """Rebuild the right subclass from a vertex-table row."""
        cls = _BY_KIND[EntityKind(row["kind"])]
        return cls(
            id=row["id"],
            type=row["type"],
            name=row["name"],
            source_uri=row["source_uri"],
            version=None if row["version"] is None else int(row["version"]),
            properties=dict(row["properties"] or {}),
            created_at=row["created_at"],
        )


@dataclass(frozen=True)
class Artifact(LineageEntity):
    """A data set, model, model version, code, image or baseline (see :class:`ArtifactType`)."""

    kind: ClassVar[EntityKind] = EntityKind.ARTIFACT

    @classmethod
    def create(
        cls,
        artifact_name: str,
        source_uri: str | None,
        artifact_type: str,
        version: int | None = None,
        properties: Mapping[str, Any] | None = None,
        store: LineageStore | None = None,
    ) -> Artifact:
        """Store an artifact (idempotent) and return it.

        Example:
            >>> raw = Artifact.create("raw", "/data/raw", ArtifactType.DATASET, version=0, store=store)
        """
        entity = cls.build(artifact_name, artifact_type, source_uri, version, properties)
        return entity._save(store)  # type: ignore[return-value]


@dataclass(frozen=True)
class Action(LineageEntity):
    """A processing/training/transform job or an approval (see :class:`ActionType`)."""

    kind: ClassVar[EntityKind] = EntityKind.ACTION

    @classmethod
    def create(
        cls,
        action_name: str,
        action_type: str,
        source_uri: str | None = None,
        version: int | None = None,
        properties: Mapping[str, Any] | None = None,
        store: LineageStore | None = None,
    ) -> Action:
        """Store an action (idempotent) and return it."""
        entity = cls.build(action_name, action_type, source_uri, version, properties)
        return entity._save(store)  # type: ignore[return-value]


@dataclass(frozen=True)
class Context(LineageEntity):
    """An endpoint/batch deployment, pipeline execution, experiment, trial or registered model."""

    kind: ClassVar[EntityKind] = EntityKind.CONTEXT

    @classmethod
    def create(
        cls,
        context_name: str,
        context_type: str,
        source_uri: str | None = None,
        version: int | None = None,
        properties: Mapping[str, Any] | None = None,
        store: LineageStore | None = None,
    ) -> Context:
        """Store a context (idempotent) and return it."""
        entity = cls.build(context_name, context_type, source_uri, version, properties)
        return entity._save(store)  # type: ignore[return-value]


_BY_KIND: dict[EntityKind, type[LineageEntity]] = {
    EntityKind.ARTIFACT: Artifact,
    EntityKind.ACTION: Action,
    EntityKind.CONTEXT: Context,
}


def _as_id(value: LineageEntity | str, arg: str) -> str:
    if isinstance(value, LineageEntity):
        return value.id
    text = _text(value, arg)
    assert text is not None
    return text


@dataclass(frozen=True)
class Association:
    """A directed, typed edge between two stored entities.

    Attributes:
        source_id: Id of the source vertex.
        destination_id: Id of the destination vertex.
        association_type: One of :class:`AssociationType`.
        source_kind, source_type, destination_kind, destination_type: Copied from the vertices so that
            ``list_associations(source_type=...)`` needs no join.
        created_at: When the edge was first stored.
    """

    source_id: str
    destination_id: str
    association_type: AssociationType
    source_kind: str | None = None
    source_type: str | None = None
    destination_kind: str | None = None
    destination_type: str | None = None
    created_at: dt.datetime | None = None

    @property
    def id(self) -> str:
        """Deterministic edge id: the same edge twice is one edge."""
        key = f"{self.source_id}\x1f{self.destination_id}\x1f{self.association_type.value}"
        return "association-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]

    @classmethod
    def create(
        cls,
        source: LineageEntity | str,
        destination: LineageEntity | str,
        association_type: AssociationType | str,
        store: LineageStore | None = None,
    ) -> Association:
        """Store ``source -> destination`` (a repeat is harmless).

        Raises:
            LineageError: an id is unknown, or the edge would close a cycle of provenance edges.
            InvalidArgumentError: an unknown association type or a self-loop.
        """
        from spark_mlops.lineage.store import resolve_store

        edge = cls.build(source, destination, association_type)
        resolve_store(store).add_associations([edge])
        return edge

    @classmethod
    def build(
        cls,
        source: LineageEntity | str,
        destination: LineageEntity | str,
        association_type: AssociationType | str,
    ) -> Association:
        """Validate the arguments without storing anything."""
        try:
            kind = AssociationType(association_type)
        except ValueError:
            allowed = ", ".join(t.value for t in AssociationType)
            raise InvalidArgumentError(
                f"association_type: expected one of {allowed}, got {association_type!r}"
            ) from None
        src, dst = _as_id(source, "source"), _as_id(destination, "destination")
        if src == dst:
            raise InvalidArgumentError(f"source, destination: an association from '{src}' to itself")
        return cls(src, dst, kind, created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (one row of the edge table)."""
        return {
            "id": self.id,
            "source_id": self.source_id,
            "destination_id": self.destination_id,
            "association_type": self.association_type.value,
            "source_kind": self.source_kind,
            "source_type": self.source_type,
            "destination_kind": self.destination_kind,
            "destination_type": self.destination_type,
            "created_at": self.created_at,
        }

    @staticmethod
    def from_row(row: Mapping[str, Any]) -> Association:
        """Rebuild from an edge-table row."""
        return Association(
            source_id=row["source_id"],
            destination_id=row["destination_id"],
            association_type=AssociationType(row["association_type"]),
            source_kind=row["source_kind"],
            source_type=row["source_type"],
            destination_kind=row["destination_kind"],
            destination_type=row["destination_type"],
            created_at=row["created_at"],
        )
