"""What every section builder needs: the snapshot, the catalog, the formatter, notes and sources."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from carpulse.domain.snapshot import (
    ChargingSession,
    DataSource,
    Section,
    SectionNote,
    SectionState,
    Units,
    VehicleSnapshot,
)
from carpulse.report.formatting import MISSING, as_utc, format_text
from carpulse.report.i18n import Catalog, humanize
from carpulse.report.localfmt import Formatter
from carpulse.report.units import display_units
from carpulse.report.views import State, TextView, Tone

# Which Tesla endpoints feed which section, by canonical endpoint name (see endpoint_key).
ENDPOINTS_BY_SECTION: dict[Section, tuple[str, ...]] = {
    Section.IDENTITY: ("vehicle", "vehicles", "vehicle_data", "options", "specs"),
    Section.BATTERY: ("vehicle_data",),
    Section.CHARGING: ("charging_history", "invoice"),
    Section.ALERTS: ("recent_alerts",),
    Section.SERVICE: ("service_data", "warranty"),
    Section.SOFTWARE: ("vehicle_data", "release_notes"),
    Section.TYRES: ("vehicle_data",),
    Section.SECURITY: ("vehicle_data", "fleet_status"),
}

# Notes may name the part that is missing rather than the section ("specs", "warranty").
_NOTE_ALIASES: dict[str, Section] = {
    "vehicle": Section.IDENTITY,
    "options": Section.IDENTITY,
    "specs": Section.IDENTITY,
    "charging_history": Section.CHARGING,
    "invoices": Section.CHARGING,
    "invoice": Section.CHARGING,
    "recent_alerts": Section.ALERTS,
    "service_data": Section.SERVICE,
    "warranty": Section.SERVICE,
    "warranties": Section.SERVICE,
    "release_notes": Section.SOFTWARE,
    "climate": Section.SECURITY,
    "fleet_status": Section.SECURITY,
}

# Spellings an endpoint may arrive in, in the order they are tried: (pattern, canonical name).
_ENDPOINT_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"vehicle_data", "vehicle_data"),
    (r"charging.*history|charging_sessions", "charging_history"),
    (r"invoice", "invoice"),
    (r"alert", "recent_alerts"),
    (r"service", "service_data"),
    (r"warrant", "warranty"),
    (r"release", "release_notes"),
    (r"option", "options"),
    (r"spec", "specs"),
    (r"fleet_status", "fleet_status"),
    (r"region", "region"),
    (r"^(products|vehicles)$", "vehicles"),
    (r"^vehicles?_[a-z0-9]+$|^vehicle$", "vehicle"),
)


_SECTION_KEYS = frozenset(s.value for s in Section)
_LIVE_SECTIONS = (Section.BATTERY, Section.TYRES, Section.SECURITY)


def endpoint_key(name: str) -> str:
    """A canonical endpoint name ("vehicle_data", "charging_history", …) from how a source spells it."""
    text = name.strip().lower().split("?", 1)[0]
    text = re.sub(r"^/?api/1/", "", text)
    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    for pattern, canonical in _ENDPOINT_PATTERNS:
        if re.search(pattern, text):
            return canonical
    return text


def note_section(note: SectionNote) -> str:
    """The report section a note belongs to, or its own (cleaned) name when it names none."""
    key = re.sub(r"[^a-z0-9]+", "_", note.section.strip().lower()).strip("_")
    if key in _SECTION_KEYS:
        return key
    alias = _NOTE_ALIASES.get(key)
    return alias.value if alias else key


@dataclass
class Context:
    """One report's shared state while its sections are built."""

    snapshot: VehicleSnapshot
    cat: Catalog
    fmt: Formatter
    units: Units
    _notes: dict[str, list[SectionNote]] = field(default_factory=dict)

    @classmethod
    def create(cls, snapshot: VehicleSnapshot) -> Context:
        """A context in the snapshot's language and the owner's units."""
        cat = Catalog(snapshot.language)
        units = display_units(snapshot)
        if units != snapshot.units:
            # An older snapshot's derived units; fields read them from the snapshot like any other value.
            snapshot = snapshot.model_copy(update={"units": units})
        fmt = Formatter(cat.language, units, snapshot.utc_offset_seconds, cat.text("value.currency_unknown"))
        notes: dict[str, list[SectionNote]] = {}
        for note in snapshot.notes:
            if note.state is not SectionState.OK:
                notes.setdefault(note_section(note), []).append(note)
        return cls(snapshot, cat, fmt, units, notes)

    # --- notes --------------------------------------------------------------------------------

    def notes_for(self, section: Section | str) -> list[SectionNote]:
        """Missing/failed notes of a section."""
        return self._notes.get(str(section), [])

    def stray_notes(self) -> list[SectionNote]:
        """Notes that name no report section (older snapshots: "Location", …)."""
        return [
            n for key, notes in self._notes.items() if key not in _SECTION_KEYS and key != "vehicle_data" for n in notes
        ]

    def note_text(self, note: SectionNote) -> str:
        """A note's reason in the report's language (older English sentences kept as they are)."""
        reason = note.reason.strip()
        if reason == "reason.vehicle_asleep" and note.detail.get("state", "").strip().lower() == "offline":
            # An offline car cannot be woken at all: "waking was not allowed" would blame the request.
            reason = "reason.vehicle_offline"
        text = format_text(self.cat.reason(reason, note.detail), max_chars=600)
        return text if text != MISSING else self.cat.text("note.no_reason")

    def notices(self, section: Section) -> list[TextView]:
        """The section's notes as notices a reader sees under its title."""
        return [self._notice(section, note) for note in self.notes_for(section)]

    def _notice(self, section: Section, note: SectionNote) -> TextView:
        tone = Tone.WARNING if note.state is SectionState.FAILED else Tone.INFO
        text = self.note_text(note)
        part = re.sub(r"[^a-z0-9]+", "_", note.section.strip().lower()).strip("_")
        if part in _NOTE_ALIASES and self.cat.has(f"endpoint.{endpoint_key(part)}"):
            # A note filed under a part ("specs") says which part of the section it explains.
            text = f"{self.endpoint_label(part)}: {text}"
        return TextView(f"note.{section.value}", text, tone)

    def explaining_notes(self, section: Section) -> list[SectionNote]:
        """The section's own notes; else, for a section fed by vehicle_data, the note on vehicle_data."""
        own = self.notes_for(section)
        if own or section not in _LIVE_SECTIONS:
            return own
        # One vehicle_data call feeds battery, tyres and security; the worker files its note under battery.
        return self.notes_for("vehicle_data") or next(
            (self.notes_for(s) for s in _LIVE_SECTIONS if s is not section and self.notes_for(s)), []
        )

    def absent_state(self, section: Section) -> State:
        """How a section without data came out: failed if a note says so, else missing."""
        failed = any(n.state is SectionState.FAILED for n in self.explaining_notes(section))
        return State.FAILED if failed else State.MISSING

    def absent_notices(self, section: Section, what: str | None = None) -> list[TextView]:
        """Notices for a section (or part) without data; says so even when no reason was recorded."""
        notices = [self._notice(section, n) for n in self.explaining_notes(section)]
        if notices:
            return notices
        text = self.cat.text(what) if what else self.cat.text("note.no_reason")
        return [TextView(f"note.{section.value}", text, Tone.INFO)]

    # --- sources ------------------------------------------------------------------------------

    def sources_for(self, section: Section) -> list[DataSource]:
        """The recorded endpoint calls that feed a section."""
        wanted = ENDPOINTS_BY_SECTION.get(section, ())
        return [s for s in self.snapshot.sources if endpoint_key(s.endpoint) in wanted]

    def endpoint_label(self, name: str) -> str:
        """An endpoint in words ("Vehicle data")."""
        key = f"endpoint.{endpoint_key(name)}"
        return self.cat.text(key) if self.cat.has(key) else humanize(format_text(name))

    def status_text(self, status: int | None) -> str:
        """An HTTP status in words: "OK", "vehicle offline (408)", "no answer"."""
        if status is None:
            return self.cat.text("http.none")
        if 200 <= status < 300:
            return self.cat.text("http.ok")
        key = f"http.{status}"
        meaning = self.cat.text(key) if self.cat.has(key) else self.cat.text("http.other")
        return f"{meaning} ({status})"

    def source_line(self, section: Section) -> str:
        """Where a section's data came from and when, in one line."""
        sources = self.sources_for(section)
        if not sources:
            return self.cat.text("source.none")
        seen: dict[str, str] = {}
        for source in sources:
            seen[self.endpoint_label(source.endpoint)] = self.status_text(source.status)
        parts = ", ".join(f"{label}: {status}" for label, status in seen.items())
        latest = max(sources, key=lambda s: as_utc(s.fetched_at))
        when, _ = self.fmt.fmt_datetime(latest.fetched_at)
        return self.cat.text("source.line", endpoints=parts, time=when)

    # --- sessions -----------------------------------------------------------------------------

    def own_sessions(self) -> tuple[list[ChargingSession], int]:
        """This VIN's sessions, and how many others the snapshot wrongly carried."""
        # Attribution is settled upstream; this guard only keeps another car's charging out of this
        # owner's report if that ever breaks, and says so instead of hiding it.
        vin = self.snapshot.identity.vin.strip().upper()
        own = [s for s in self.snapshot.sessions if s.vin.strip().upper() == vin]
        return own, len(self.snapshot.sessions) - len(own)
