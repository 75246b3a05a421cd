"""A profile and all its readings as one JSON document (`coach profile export` / `import`, backups, moves)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.models import Profile, Reading
from coach.profile.store import ProfileStore

EXPORT_FORMAT = "coach-profile-export/1"
MAX_EXPORT_BYTES = 100_000_000


class ProfileExport(BaseModel):
    """Everything stored about one person's health data, validated as a whole before any of it is stored."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["coach-profile-export/1"] = Field(
        default=EXPORT_FORMAT, description="Document kind and version; a reader refuses versions it does not know")
    exported_at: dt.datetime = Field(description="When the export was written (UTC)")
    profile: Profile
    readings: list[Reading] = Field(default_factory=list, description="Oldest first, canonical units; "
                                    "the store's reading ids are left out (a database assigns its own)")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude={"readings": {"__all__": {"id"}}})


class ExportFormatError(ValueError):
    """A document that is not a valid profile export; the message is one line saying what is wrong."""


def export_profile(store: ProfileStore, profile_id: str, now: dt.datetime | None = None) -> ProfileExport:
    """The profile and all its readings (raises ProfileNotFound)."""
    profile = store.get_profile(profile_id)
    readings = [r.model_copy(update={"id": None}) for r in store.readings(profile_id)]
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    return ProfileExport(exported_at=now, profile=profile, readings=readings)


def load_export(data: str | bytes) -> ProfileExport:
    """Parse and validate an export document; `ExportFormatError` names the first problems and where they are."""
    if len(data) > MAX_EXPORT_BYTES:
        raise ExportFormatError(f"the document is larger than {MAX_EXPORT_BYTES / 1e6:g} MB")
    try:
        document = json.loads(data)
    except UnicodeDecodeError:
        raise ExportFormatError("not UTF-8 text; a profile export is the JSON `coach profile export` writes") from None
    except json.JSONDecodeError as exc:
        raise ExportFormatError(f"not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); a profile export is "
                                "the JSON `coach profile export` writes") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise ExportFormatError(f"not a coach profile export (format {found!r}; expected {EXPORT_FORMAT!r}); a "
                                "readings CSV must end in .csv")
    try:
        return ProfileExport.model_validate(document)
    except ValidationError as exc:
        errors = exc.errors()
        shown = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                          for e in errors[:5])
        more = f"; and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise ExportFormatError(f"{len(errors)} invalid value{'s' if len(errors) > 1 else ''}: {shown}{more}") from None
