"""The sessions CSV: machine-readable, one row per session, never mixing currencies or VINs."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from carpulse.domain.snapshot import ChargingFee
from carpulse.report.csv_export import FIXED_COLUMNS, sessions_csv
from tests.report_samples import EU_VIN, OTHER_VIN, US_VIN, all_none, full_eu, session, us_owner


def rows_of(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_all_sessions_of_all_snapshots_with_a_header() -> None:
    eu, us = full_eu(), us_owner()
    header, rows = rows_of(sessions_csv([eu, us]))
    assert header[: len(FIXED_COLUMNS)] == list(FIXED_COLUMNS)
    assert len(rows) == len(eu.sessions) + len(us.sessions)
    assert {r["vin"] for r in rows} == {EU_VIN, US_VIN}
    assert {"total_eur", "total_nok", "total_usd", "fee_charging_eur", "fee_parking_eur", "fee_congestion_eur"} <= set(
        header
    )


def test_values_are_machine_readable() -> None:
    _, rows = rows_of(sessions_csv([full_eu()]))
    first = rows[0]
    assert first["started_at"] == "2025-10-03T08:15:00+02:00"
    assert first["stopped_at"] == "2025-10-03T08:35:00+02:00"
    assert first["site"] == "Jyväskylä – Seppälä, Finland"
    assert first["energy_kwh"] == "38.2"
    assert first["duration_minutes"] == "20"
    assert first["fee_charging_eur"] == "18.72"
    assert first["fee_congestion_eur"] == "3.00"
    assert first["total_eur"] == "21.72"
    assert first["total_nok"] == ""
    assert first["paid"] == "true"
    assert first["invoices"] == "400000_FI.pdf"
    assert {r["paid"] for r in rows} == {"true", "false"}


def test_currencies_get_their_own_columns_and_are_never_added() -> None:
    _, rows = rows_of(sessions_csv([full_eu()]))
    nok = [r for r in rows if r["total_nok"]]
    assert len(nok) == 2
    assert all(r["total_eur"] == "" for r in nok)
    mixed = session(1, extras=())
    mixed = mixed.model_copy(
        update={"fees": (*mixed.fees, ChargingFee(fee_type="PARKING", currency="NOK", total_due=40.0, is_paid=False))}
    )
    _, rows = rows_of(sessions_csv([full_eu(sessions=(mixed,))]))
    assert rows[0]["total_eur"] == "14.70"
    assert rows[0]["total_nok"] == "40.00"
    assert rows[0]["paid"] == "partly"


def test_sessions_of_another_vin_are_never_exported_under_this_vin() -> None:
    snapshot = full_eu(sessions=(session(1, site="Mine"), session(2, vin=OTHER_VIN, site="Theirs")))
    _, rows = rows_of(sessions_csv([snapshot]))
    assert [r["site"] for r in rows] == ["Mine"]


def test_no_sessions_gives_just_the_header() -> None:
    header, rows = rows_of(sessions_csv([all_none()]))
    assert rows == []
    assert header == [*FIXED_COLUMNS, "paid", "invoices"]
    assert sessions_csv([]).decode("utf-8-sig").strip() == ",".join([*FIXED_COLUMNS, "paid", "invoices"])


def test_missing_values_are_empty_cells() -> None:
    odd = session(1).model_copy(
        update={"site": None, "stopped_at": None, "energy_kwh": float("nan"), "fees": (), "invoices": ()}
    )
    naive = session(2, start=datetime(2026, 1, 1, 8, 0)).model_copy(update={"stopped_at": None})
    late = session(3, start=datetime(2026, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=-5))))
    _, rows = rows_of(sessions_csv([full_eu(sessions=(odd, naive, late))]))
    assert rows[0]["site"] == ""
    assert rows[0]["energy_kwh"] == ""
    assert rows[0]["paid"] == ""
    assert rows[1]["started_at"] == "2026-01-01T08:00:00"
    assert rows[2]["started_at"] == "2026-01-01T08:00:00-05:00"


def test_cells_that_look_like_formulas_stay_text_and_numbers_stay_numbers() -> None:
    refund = ChargingFee(fee_type="CHARGING", currency="EUR", total_due=-3.5)
    odd = [
        session(i, site=site).model_copy(update={"fees": (refund,)})
        for i, site in enumerate(["=1+2", "+x", "@A", "-B", "Zürich"])
    ]
    _, rows = rows_of(sessions_csv([full_eu(sessions=tuple(odd))]))
    assert [r["site"] for r in rows] == ["'=1+2", "'+x", "'@A", "'-B", "Zürich"]
    assert {r["total_eur"] for r in rows} == {"-3.50"}


def test_amounts_have_their_currencys_minor_units() -> None:
    fees = {
        code: ChargingFee(fee_type="CHARGING", currency=code, total_due=1234.5678) for code in ("JPY", "BHD", "EUR")
    }
    sessions = tuple(session(i).model_copy(update={"fees": (fee,)}) for i, fee in enumerate(fees.values()))
    _, rows = rows_of(sessions_csv([full_eu(sessions=sessions)]))
    assert (rows[0]["total_jpy"], rows[1]["total_bhd"], rows[2]["total_eur"]) == ("1235", "1234.568", "1234.57")
