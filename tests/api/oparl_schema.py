"""The OParl 1.1 object types: required properties and property types.

Written from the specification (https://dev.oparl.org/spezifikation/, chapter
"Schema"); a property not listed here is an error, so that typos and
invented properties are caught.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

OPARL = "https://schema.oparl.org/1.1/"

URL, STR, BOOL, INT, DATETIME, DATE = "url", "string", "boolean", "integer", "date-time", "date"


def lst(kind: str) -> tuple[str, str]:
    return ("array", kind)


def obj(type_name: str) -> tuple[str, str]:
    return ("object", type_name)


COMMON: dict[str, Any] = {
    "id": URL,
    "type": STR,
    "license": URL,
    "keyword": lst(STR),
    "web": URL,
    "created": DATETIME,
    "modified": DATETIME,
    "deleted": BOOL,
}

SCHEMA: dict[str, tuple[set[str], dict[str, Any]]] = {
    "System": (
        {"id", "type", "oparlVersion", "body"},
        {
            "oparlVersion": STR,
            "otherOparlVersions": lst(URL),
            "body": URL,
            "name": STR,
            "contactEmail": STR,
            "contactName": STR,
            "website": URL,
            "vendor": URL,
            "product": URL,
        },
    ),
    "Body": (
        {"id", "type", "name", "organization", "person", "meeting", "paper", "legislativeTerm"},
        {
            "system": URL,
            "shortName": STR,
            "name": STR,
            "website": URL,
            "licenseValidSince": DATETIME,
            "oparlSince": DATETIME,
            "ags": STR,
            "rgs": STR,
            "equivalent": lst(URL),
            "contactEmail": STR,
            "contactName": STR,
            "organization": URL,
            "person": URL,
            "meeting": URL,
            "paper": URL,
            "legislativeTerm": lst(obj("LegislativeTerm")),
            "agendaItem": URL,
            "consultation": URL,
            "file": URL,
            "locationList": URL,
            "legislativeTermList": URL,
            "membership": URL,
            "classification": STR,
            "location": obj("Location"),
        },
    ),
    "LegislativeTerm": (
        {"id", "type"},
        {"body": URL, "name": STR, "startDate": DATE, "endDate": DATE},
    ),
    "Organization": (
        {"id", "type"},
        {
            "body": URL,
            "name": STR,
            "membership": lst(URL),
            "meeting": URL,
            "consultation": URL,
            "shortName": STR,
            "post": lst(STR),
            "subOrganizationOf": URL,
            "organizationType": STR,
            "classification": STR,
            "startDate": DATE,
            "endDate": DATE,
            "website": URL,
            "location": obj("Location"),
            "externalBody": URL,
        },
    ),
    "Person": (
        {"id", "type"},
        {
            "body": URL,
            "name": STR,
            "familyName": STR,
            "givenName": STR,
            "formOfAddress": STR,
            "affix": STR,
            "title": lst(STR),
            "gender": STR,
            "phone": lst(STR),
            "email": lst(STR),
            "location": URL,
            "locationObject": obj("Location"),
            "status": lst(STR),
            "membership": lst(obj("Membership")),
            "life": STR,
            "lifeSource": STR,
        },
    ),
    "Membership": (
        {"id", "type", "organization"},
        {
            "person": URL,
            "organization": URL,
            "role": STR,
            "votingRight": BOOL,
            "startDate": DATE,
            "endDate": DATE,
            "onBehalfOf": URL,
        },
    ),
    "Meeting": (
        {"id", "type"},
        {
            "name": STR,
            "meetingState": STR,
            "cancelled": BOOL,
            "start": DATETIME,
            "end": DATETIME,
            "location": obj("Location"),
            "organization": lst(URL),
            "participant": lst(URL),
            "invitation": obj("File"),
            "resultsProtocol": obj("File"),
            "verbatimProtocol": obj("File"),
            "auxiliaryFile": lst(obj("File")),
            "agendaItem": lst(obj("AgendaItem")),
        },
    ),
    "AgendaItem": (
        {"id", "type"},
        {
            "meeting": URL,
            "number": STR,
            "order": INT,
            "name": STR,
            "public": BOOL,
            "consultation": URL,
            "result": STR,
            "resolutionText": STR,
            "resolutionFile": obj("File"),
            "auxiliaryFile": lst(obj("File")),
            "start": DATETIME,
            "end": DATETIME,
        },
    ),
    "Paper": (
        {"id", "type"},
        {
            "body": URL,
            "name": STR,
            "reference": STR,
            "date": DATE,
            "paperType": STR,
            "relatedPaper": lst(URL),
            "superordinatedPaper": lst(URL),
            "subordinatedPaper": lst(URL),
            "mainFile": obj("File"),
            "auxiliaryFile": lst(obj("File")),
            "location": lst(obj("Location")),
            "originatorPerson": lst(URL),
            "underDirectionOf": lst(URL),
            "originatorOrganization": lst(URL),
            "consultation": lst(obj("Consultation")),
        },
    ),
    "Consultation": (
        {"id", "type"},
        {
            "paper": URL,
            "agendaItem": URL,
            "meeting": URL,
            "organization": lst(URL),
            "authoritative": BOOL,
            "role": STR,
        },
    ),
    "File": (
        {"id", "type", "accessUrl"},
        {
            "name": STR,
            "fileName": STR,
            "mimeType": STR,
            "date": DATE,
            "size": INT,
            "sha1Checksum": STR,
            "sha512Checksum": STR,
            "text": STR,
            "accessUrl": URL,
            "downloadUrl": URL,
            "externalServiceUrl": URL,
            "masterFile": URL,
            "derivativeFile": lst(URL),
            "fileLicense": URL,
            "meeting": lst(URL),
            "agendaItem": lst(URL),
            "person": lst(URL),
            "paper": lst(URL),
        },
    ),
    "Location": (
        {"id", "type"},
        {
            "description": STR,
            "geojson": ("object", "geojson"),
            "streetAddress": STR,
            "room": STR,
            "postalCode": STR,
            "subLocality": STR,
            "locality": STR,
            "bodies": lst(URL),
            "organizations": lst(URL),
            "persons": lst(URL),
            "meetings": lst(URL),
            "papers": lst(URL),
        },
    ),
}

# Back-references an embedded object leaves out (given when fetched on its own).
BACK_REFERENCES = {
    "LegislativeTerm": {"body"},
    "Membership": {"person"},
    "AgendaItem": {"meeting"},
    "Consultation": {"paper"},
    "File": {"meeting", "agendaItem", "paper", "person"},
    "Location": {"bodies", "organizations", "persons", "meetings", "papers"},
}

DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
URL_RE = re.compile(r"^https?://[^\s]+$")


def type_name(data: dict[str, Any]) -> str:
    value = data.get("type")
    assert isinstance(value, str) and value.startswith(OPARL), f"bad type {value!r}"
    name = value[len(OPARL) :]
    assert name in SCHEMA, f"unknown type {value}"
    return name


def _check_value(path: str, spec: Any, value: Any, found: list[dict[str, Any]]) -> None:
    if isinstance(spec, tuple) and spec[0] == "array":
        assert isinstance(value, list), f"{path}: array expected"
        assert value, f"{path}: empty arrays are left out"
        for i, entry in enumerate(value):
            _check_value(f"{path}[{i}]", spec[1], entry, found)
        return
    if isinstance(spec, tuple) and spec[0] == "object":
        assert isinstance(value, dict), f"{path}: object expected"
        if spec[1] != "geojson":
            assert type_name(value) == spec[1], f"{path}: {spec[1]} expected"
            validate(value, path=path, found=found)
            found.append(value)
        return
    if spec == URL:
        assert isinstance(value, str) and URL_RE.match(value), f"{path}: url expected: {value!r}"
    elif spec == STR:
        assert isinstance(value, str) and value != "", f"{path}: non-empty string expected"
    elif spec == BOOL:
        assert isinstance(value, bool), f"{path}: boolean expected"
    elif spec == INT:
        assert isinstance(value, int) and not isinstance(value, bool), f"{path}: integer"
    elif spec == DATETIME:
        assert isinstance(value, str) and DATETIME_RE.match(value), f"{path}: date-time"
        datetime.fromisoformat(value)
    elif spec == DATE:
        assert isinstance(value, str) and DATE_RE.match(value), f"{path}: date"
        date.fromisoformat(value)
    else:  # pragma: no cover - a mistake in the table
        raise AssertionError(f"unknown spec {spec!r}")


def validate(
    data: dict[str, Any], *, path: str = "$", found: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Check one object against the schema; returns the embedded objects found."""
    found = [] if found is None else found
    name = type_name(data)
    required, properties = SCHEMA[name]
    if data.get("deleted") is True:
        assert set(data) == {"id", "type", "created", "modified", "deleted"}, (
            f"{path}: a deleted object keeps only id, type, created, modified: {sorted(data)}"
        )
    else:
        missing = required - set(data)
        assert not missing, f"{path} ({name}): required {sorted(missing)} missing"
        assert "deleted" not in data or data["deleted"] is False
    for key, value in data.items():
        spec = properties.get(key, COMMON.get(key))
        assert spec is not None, f"{path} ({name}): unknown property {key!r}"
        assert value is not None, f"{path}.{key}: null is left out"
        _check_value(f"{path}.{key}", spec, value, found)
    return found
