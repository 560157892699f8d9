"""The field schema: every labelled value of the report, its section and group, and how it is formatted.

One line per field. The label is the catalog's "field.<key>"; the group is the sub-block the field
is shown in (sections decide the order of groups and add tables, charts and notices around them).
Getters read the snapshot in Tesla's units; conversion and localisation happen in format_value.
"""

from __future__ import annotations

from carpulse.domain.snapshot import Section, VehicleSnapshot
from carpulse.report.field_spec import FieldSpec, Getter, Kind, at

_SUM, _ID, _BAT, _CHG = Section.SUMMARY, Section.IDENTITY, Section.BATTERY, Section.CHARGING
_SRV, _SW, _SEC = Section.SERVICE, Section.SOFTWARE, Section.SECURITY


def _software_version(s: VehicleSnapshot) -> object:
    # Older snapshots only carry the top-level copy.
    return (s.software.version if s.software else None) or s.software_version


def _update_status(s: VehicleSnapshot) -> object:
    if s.software is None or s.software.update_status is None:
        return None
    # Tesla sends "" when nothing is pending; that is a state worth saying, not a missing value.
    return s.software.update_status.strip() or "idle"


def _alert_count(s: VehicleSnapshot) -> object:
    return len(s.alerts) if s.alerts is not None else None


def _tyre_warnings(s: VehicleSnapshot) -> object:
    return sum(1 for t in s.tyres if t.soft_warning or t.hard_warning) if s.tyres is not None else None


def _service_status(s: VehicleSnapshot) -> object:
    if s.service is None:
        return None
    return s.service.status or ("no_visit" if not s.service.in_service else None)


def _charge_rate(s: VehicleSnapshot) -> object:
    # "0 kW" next to "Not plugged in" is noise; the power only means something while charging.
    battery = s.battery
    if battery is None or battery.charge_rate_kw is None:
        return None
    charging = battery.charging_state in ("Charging", "Starting")
    return battery.charge_rate_kw if charging or battery.charge_rate_kw > 0 else None


def _download(s: VehicleSnapshot) -> object:
    # Tesla keeps stale percentages (install 1 % while idle); they only mean something mid-update.
    active = s.software and s.software.update_status in (
        "downloading",
        "downloading_wifi_wait",
        "available",
        "scheduled",
    )
    return s.software.download_percent if active and s.software else None


def _install(s: VehicleSnapshot) -> object:
    return s.software.install_percent if s.software and s.software.update_status == "installing" else None


def _opened(attribute: str) -> Getter:
    def get(s: VehicleSnapshot) -> object:
        if s.security is None:
            return None
        # None: vehicle_state was not read, so "all closed" would be a guess presented as a fact.
        return getattr(s.security, attribute)

    return get


def _time_format(s: VehicleSnapshot) -> object:
    return "24h" if s.units.time_24h else "12h"


FIELDS: tuple[FieldSpec, ...] = (
    # --- summary: about the report, and the vehicle at a glance ------------------------------
    FieldSpec("summary.report_id", _SUM, "meta", Kind.TEXT, at("report_id")),
    FieldSpec("summary.generated_at", _SUM, "meta", Kind.DATETIME, at("generated_at")),
    FieldSpec("summary.data_as_of", _SUM, "meta", Kind.DATETIME, at("data_as_of")),
    FieldSpec("summary.region", _SUM, "meta", Kind.ENUM, at("region"), enum="region"),
    FieldSpec("summary.model_year", _SUM, "glance", Kind.YEAR, at("identity.vin_facts.model_year")),
    FieldSpec("summary.exterior_color", _SUM, "glance", Kind.ENUM, at("identity.exterior_color"), enum="paint"),
    FieldSpec("summary.software", _SUM, "glance", Kind.TEXT, _software_version),
    FieldSpec("summary.vehicle_state", _SUM, "glance", Kind.ENUM, at("identity.state"), enum="vehicle_state"),
    FieldSpec("summary.sessions", _SUM, "glance", Kind.INT, at("charging.session_count")),
    FieldSpec("summary.charging_cost", _SUM, "glance", Kind.MONEY_LIST, at("charging.cost_by_currency")),
    FieldSpec("summary.alerts", _SUM, "glance", Kind.INT, _alert_count),
    FieldSpec("summary.tyre_warnings", _SUM, "glance", Kind.INT, _tyre_warnings),
    FieldSpec("summary.service", _SUM, "glance", Kind.ENUM, _service_status, enum="service_status"),
    # --- identity: the vehicle --------------------------------------------------------------
    FieldSpec("identity.vin", _ID, "vehicle", Kind.TEXT, at("identity.vin")),
    FieldSpec("identity.display_name", _ID, "vehicle", Kind.TEXT, at("identity.display_name")),
    FieldSpec("identity.model", _ID, "vehicle", Kind.TEXT, at("identity.model")),
    FieldSpec("identity.trim", _ID, "vehicle", Kind.ENUM, at("identity.trim"), enum="trim"),
    FieldSpec("identity.model_year", _ID, "vehicle", Kind.YEAR, at("identity.vin_facts.model_year")),
    FieldSpec("identity.plant", _ID, "vehicle", Kind.TEXT, at("identity.vin_facts.plant")),
    FieldSpec("identity.manufacturer", _ID, "vehicle", Kind.TEXT, at("identity.vin_facts.manufacturer"), optional=True),
    FieldSpec(
        "identity.check_digit",
        _ID,
        "vehicle",
        Kind.BOOL,
        at("identity.vin_facts.check_digit_valid"),
        enum="check_digit",
        optional=True,
    ),
    FieldSpec("identity.odometer", _ID, "vehicle", Kind.DISTANCE, at("odometer_mi")),
    FieldSpec("identity.state", _ID, "vehicle", Kind.ENUM, at("identity.state"), enum="vehicle_state"),
    # --- identity: configuration from vehicle_config ----------------------------------------
    FieldSpec("identity.exterior_color", _ID, "config", Kind.ENUM, at("identity.exterior_color"), enum="paint"),
    FieldSpec("identity.interior", _ID, "config", Kind.ENUM, at("identity.interior"), enum="interior"),
    FieldSpec("identity.wheels", _ID, "config", Kind.ENUM, at("identity.wheels"), enum="wheels"),
    FieldSpec("identity.drive_unit", _ID, "config", Kind.ENUM, at("identity.drive_unit"), enum="drive_unit"),
    FieldSpec("identity.driver_assist", _ID, "config", Kind.ENUM, at("identity.driver_assist"), enum="driver_assist"),
    FieldSpec("identity.charge_port", _ID, "config", Kind.ENUM, at("identity.charge_port"), enum="charge_port"),
    FieldSpec("identity.market_eu", _ID, "config", Kind.BOOL, at("identity.market_eu")),
    FieldSpec("identity.ece_restrictions", _ID, "config", Kind.BOOL, at("identity.ece_restrictions")),
    FieldSpec("identity.right_hand_drive", _ID, "config", Kind.BOOL, at("identity.right_hand_drive")),
    # --- identity: specs (partner token); each one only when Tesla gave it ---------------------
    FieldSpec("specs.trim", _ID, "specs", Kind.TEXT, at("identity.specs.trim"), optional=True),
    FieldSpec("specs.model_year", _ID, "specs", Kind.YEAR, at("identity.specs.model_year"), optional=True),
    FieldSpec(
        "specs.battery_capacity", _ID, "specs", Kind.ENERGY, at("identity.specs.battery_capacity_kwh"), optional=True
    ),
    FieldSpec(
        "specs.state_of_health",
        _ID,
        "specs",
        Kind.PERCENT,
        at("identity.specs.state_of_health_percent"),
        optional=True,
        decimals=1,
    ),
    FieldSpec(
        "specs.state_of_health_as_of",
        _ID,
        "specs",
        Kind.DATE,
        at("identity.specs.state_of_health_as_of"),
        optional=True,
    ),
    FieldSpec("specs.production_date", _ID, "specs", Kind.DATE, at("identity.specs.production_date"), optional=True),
    FieldSpec(
        "specs.country_of_origin", _ID, "specs", Kind.COUNTRY, at("identity.specs.country_of_origin"), optional=True
    ),
    FieldSpec(
        "specs.drive_type", _ID, "specs", Kind.ENUM, at("identity.specs.drive_type"), enum="drive_type", optional=True
    ),
    FieldSpec("specs.max_power", _ID, "specs", Kind.TEXT, at("identity.specs.max_power"), optional=True),
    FieldSpec("specs.range", _ID, "specs", Kind.DISTANCE_KM, at("identity.specs.range_km"), optional=True),
    FieldSpec("specs.original_price", _ID, "specs", Kind.MONEY, at("identity.specs.original_price"), optional=True),
    # --- battery and charging state -----------------------------------------------------------
    FieldSpec("battery.level", _BAT, "level", Kind.PERCENT, at("battery.level_percent")),
    FieldSpec("battery.usable_level", _BAT, "level", Kind.PERCENT, at("battery.usable_level_percent")),
    FieldSpec("battery.charge_limit", _BAT, "level", Kind.PERCENT, at("battery.charge_limit_percent")),
    FieldSpec(
        "battery.charge_limit_standard", _BAT, "level", Kind.PERCENT, at("battery.charge_limit_standard_percent")
    ),
    FieldSpec("battery.charging_state", _BAT, "level", Kind.ENUM, at("battery.charging_state"), enum="charging_state"),
    FieldSpec("battery.charge_rate", _BAT, "level", Kind.POWER, _charge_rate, optional=True),
    FieldSpec("battery.rated_range", _BAT, "range", Kind.DISTANCE, at("battery.rated_range_mi")),
    FieldSpec("battery.ideal_range", _BAT, "range", Kind.DISTANCE, at("battery.ideal_range_mi")),
    FieldSpec("battery.estimated_range", _BAT, "range", Kind.DISTANCE, at("battery.estimated_range_mi")),
    FieldSpec("battery.range_at_100", _BAT, "range", Kind.DISTANCE, at("battery.range_at_100_mi"), optional=True),
    FieldSpec("battery.energy_remaining", _BAT, "pack", Kind.ENERGY, at("battery.energy_remaining_kwh"), optional=True),
    FieldSpec(
        "battery.lifetime_energy_used", _BAT, "pack", Kind.ENERGY, at("battery.lifetime_energy_used_kwh"), optional=True
    ),
    FieldSpec(
        "battery.module_temp_min", _BAT, "pack", Kind.TEMPERATURE, at("battery.module_temp_min_c"), optional=True
    ),
    FieldSpec(
        "battery.module_temp_max", _BAT, "pack", Kind.TEMPERATURE, at("battery.module_temp_max_c"), optional=True
    ),
    FieldSpec(
        "battery.heater_on", _BAT, "pack", Kind.BOOL, at("battery.battery_heater_on"), enum="on_off", optional=True
    ),
    # --- charging history totals (computed in normalisation) ------------------------------------
    FieldSpec("charging.session_count", _CHG, "totals", Kind.INT, at("charging.session_count")),
    FieldSpec("charging.energy", _CHG, "totals", Kind.ENERGY, at("charging.energy_kwh")),
    FieldSpec("charging.cost", _CHG, "totals", Kind.MONEY_LIST, at("charging.cost_by_currency")),
    FieldSpec("charging.unpaid", _CHG, "totals", Kind.MONEY_LIST, at("charging.unpaid"), optional=True),
    # --- service ------------------------------------------------------------------------------
    FieldSpec("service.status", _SRV, "service", Kind.ENUM, at("service.status"), enum="service_status"),
    FieldSpec("service.in_service", _SRV, "service", Kind.BOOL, at("service.in_service")),
    FieldSpec("service.estimated_completion", _SRV, "service", Kind.DATETIME, at("service.estimated_completion")),
    FieldSpec("service.visit_number", _SRV, "service", Kind.TEXT, at("service.visit_number"), optional=True),
    # --- software -----------------------------------------------------------------------------
    FieldSpec("software.version", _SW, "software", Kind.TEXT, _software_version),
    FieldSpec("software.update_status", _SW, "software", Kind.ENUM, _update_status, enum="update_status"),
    FieldSpec("software.pending_version", _SW, "software", Kind.TEXT, at("software.pending_version"), optional=True),
    FieldSpec("software.download", _SW, "software", Kind.PERCENT, _download, optional=True),
    FieldSpec("software.install", _SW, "software", Kind.PERCENT, _install, optional=True),
    # --- security -----------------------------------------------------------------------------
    FieldSpec("security.locked", _SEC, "security", Kind.BOOL, at("security.locked"), enum="locked"),
    FieldSpec("security.sentry_mode", _SEC, "security", Kind.BOOL, at("security.sentry_mode"), enum="on_off"),
    FieldSpec("security.valet_mode", _SEC, "security", Kind.BOOL, at("security.valet_mode"), enum="on_off"),
    FieldSpec(
        "security.speed_limit_mode", _SEC, "security", Kind.BOOL, at("security.speed_limit_active"), enum="on_off"
    ),
    FieldSpec("security.speed_limit", _SEC, "security", Kind.SPEED, at("security.speed_limit_mph"), optional=True),
    FieldSpec(
        "security.open_doors",
        _SEC,
        "security",
        Kind.ENUM_LIST,
        _opened("open_doors"),
        enum="door",
        empty="value.all_closed",
    ),
    FieldSpec(
        "security.open_windows",
        _SEC,
        "security",
        Kind.ENUM_LIST,
        _opened("open_windows"),
        enum="window",
        empty="value.all_closed",
    ),
    FieldSpec("security.keys_paired", _SEC, "security", Kind.BOOL, at("security.keys_paired"), optional=True),
    FieldSpec(
        "security.command_protocol",
        _SEC,
        "security",
        Kind.BOOL,
        at("security.command_protocol_required"),
        optional=True,
    ),
    FieldSpec("security.total_keys", _SEC, "security", Kind.INT, at("security.total_keys"), optional=True),
    # --- climate ------------------------------------------------------------------------------
    FieldSpec("climate.inside", _SEC, "climate", Kind.TEMPERATURE, at("climate.inside_c")),
    FieldSpec("climate.outside", _SEC, "climate", Kind.TEMPERATURE, at("climate.outside_c")),
    FieldSpec("climate.driver_setting", _SEC, "climate", Kind.TEMPERATURE, at("climate.driver_setting_c")),
    FieldSpec("climate.passenger_setting", _SEC, "climate", Kind.TEMPERATURE, at("climate.passenger_setting_c")),
    FieldSpec("climate.climate_on", _SEC, "climate", Kind.BOOL, at("climate.climate_on"), enum="on_off"),
    FieldSpec(
        "climate.overheat_protection",
        _SEC,
        "climate",
        Kind.ENUM,
        at("climate.cabin_overheat_protection"),
        enum="overheat_protection",
    ),
    # --- display settings (the units this report uses) ----------------------------------------
    FieldSpec("display.distance", _SEC, "display", Kind.ENUM, at("units.distance"), enum="unit"),
    FieldSpec("display.temperature", _SEC, "display", Kind.ENUM, at("units.temperature"), enum="unit"),
    FieldSpec("display.pressure", _SEC, "display", Kind.ENUM, at("units.pressure"), enum="unit"),
    FieldSpec("display.time_format", _SEC, "display", Kind.ENUM, _time_format, enum="time_format"),
)


def fields_of(section: Section, group: str) -> tuple[FieldSpec, ...]:
    """The schema's fields of one group of a section, in report order."""
    return tuple(f for f in FIELDS if f.section is section and f.group == group)
