"""Writes the `us-traveller` scenario: a US owner whose history crosses borders, scripts and zones.

Run `python infra/simulator/scenarios/make_us_traveller.py`; it is seeded and writes the same bytes
every time. Vehicle payloads start from the us-owner scenario's (real captures, anonymised) and
change what this scenario is about:

- units per car: the Model Y shows mi / °F / psi / 12 h, the Model 3 (bought in Canada) km / °C /
  bar / 24 h; the Model S is offline (it cannot be woken);
- money in USD and CAD at home, and in JPY, KRW, TWD, THB, ILS, EUR and CNY on trips abroad, at
  sites named in their own script (Japanese, Korean, Chinese, Thai, Hebrew, Greek) with their own
  offsets, including sessions late in the evening or early in the morning, whose local date differs
  from the car's (2025-03-25T21:00-04:00, 2025-09-05T06:00+09:00);
- 131 sessions on the Model Y (its sessions table runs over three pages), 40 recent alerts;
- sessions of a car the owner sold (a VIN that is not on the account any more).
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE / "us-owner" / "vehicles"
OUT = HERE / "us-traveller"
Y_VIN, M3_VIN, S_VIN, SOLD_VIN = "7SAYGDEE9RF900701", "5YJ3E1EB1SF900702", "5YJSA1E20MF900703", "5YJ3E1EA1JF900799"

# (site, country, currency, UTC offset in hours, price per kWh)
HOME = (
    ("Secaucus, NJ - Mill Creek Drive", "US", "USD", -4, 0.48),
    ("Darien, CT - I-95 Northbound", "US", "USD", -4, 0.52),
    ("Newark, DE - Christiana Mall", "US", "USD", -4, 0.45),
    ("Albany, NY - Crossgates Commons", "US", "USD", -4, 0.43),
)
CANADA = (
    ("Montréal, QC - Centre-Ville", "CA", "CAD", -4, 0.58),
    ("Toronto, ON - Yorkdale", "CA", "CAD", -4, 0.62),
)
ABROAD = (
    ("東京駅 八重洲 スーパーチャージャー", "JP", "JPY", 9, 60.0),
    ("大阪 梅田 スーパーチャージャー", "JP", "JPY", 9, 62.0),
    ("서울 강남구 테헤란로 슈퍼차저", "KR", "KRW", 9, 480.0),
    ("台北市 信義區 超級充電站", "TW", "TWD", 8, 11.5),
    ("上海市 静安区 特斯拉超级充电站", "CN", "CNY", 8, 1.9),
    ("กรุงเทพมหานคร สยามพารากอน", "TH", "THB", 7, 9.0),
    ("תל אביב עזריאלי", "IL", "ILS", 3, 1.7),
    ("Αθήνα – Γλυφάδα", "GR", "EUR", 3, 0.55),
)


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _session(rng: random.Random, sid: int, vin: str, site: tuple, start: datetime) -> dict:
    name, country, currency, hours, price = site
    tz = timezone(timedelta(hours=hours))
    local = start.astimezone(tz) if start.tzinfo else start.replace(tzinfo=tz)
    minutes = rng.randint(14, 48)
    kwh = round(rng.uniform(18, 62), 1)
    decimals = 0 if currency in ("JPY", "KRW") else 2
    total = round(kwh * price, decimals)
    fees = [
        {
            "sessionFeeId": 700000000 + sid * 3,
            "feeType": "CHARGING",
            "currencyCode": currency,
            "pricingType": "PAYMENT",
            "rateBase": price,
            "usageBase": kwh,
            "totalDue": total,
            "netDue": total,
            "uom": "kwh",
            "isPaid": True,
            "status": "PAID",
        }
    ]
    if rng.random() < 0.12:
        idle = round(rng.uniform(2, 9) * (100 if decimals == 0 else 1), decimals)
        fees.append(
            {
                "sessionFeeId": 700000001 + sid * 3,
                "feeType": "PARKING",
                "currencyCode": currency,
                "pricingType": "PAYMENT",
                "usageBase": rng.randint(3, 12),
                "totalDue": idle,
                "netDue": idle,
                "uom": "min",
                "isPaid": rng.random() < 0.8,
                "status": "PAID",
            }
        )
    content = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return {
        "sessionId": sid,
        "vin": vin,
        "siteLocationName": name,
        "chargeStartDateTime": local.isoformat(),
        "chargeStopDateTime": (local + timedelta(minutes=minutes)).isoformat(),
        "countryCode": country,
        "fees": fees,
        "billingType": "IMMEDIATE",
        "invoices": [{"fileName": f"INV-{sid}-{country}.pdf", "contentId": content, "invoiceType": "IMMEDIATE"}],
        "vehicleMakeType": "TSLA",
    }


def sessions(rng: random.Random) -> list[dict]:
    """131 sessions of the Model Y, 14 of the Model 3, 6 of the sold car, in start order."""
    out: list[dict] = []
    sid = 510000000
    start = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    trips = {30: ABROAD[:2], 55: ABROAD[2:4], 80: ABROAD[4:6], 105: ABROAD[6:]}
    for i in range(131):
        sid += 1
        start += timedelta(days=2, hours=rng.randint(-5, 5), minutes=rng.randint(0, 59))
        trip = next((sites for first, sites in trips.items() if first <= i < first + 4), None)
        site = rng.choice(trip) if trip else rng.choice(CANADA if i % 9 == 0 else HOME)
        out.append(_session(rng, sid, Y_VIN, site, start))
    # The two instants whose local date differs from the car's (New York) date.
    out[10] = _session(rng, 510000011, Y_VIN, HOME[0], datetime.fromisoformat("2025-03-25T21:00:00-04:00"))
    out[60] = _session(rng, 510000061, Y_VIN, ABROAD[0], datetime.fromisoformat("2025-09-05T06:00:00+09:00"))
    start = datetime(2025, 6, 1, 7, 45, tzinfo=timezone(timedelta(hours=-4)))
    for _ in range(14):
        sid += 1
        start += timedelta(days=9, hours=rng.randint(-6, 6))
        out.append(_session(rng, sid, M3_VIN, rng.choice(CANADA), start))
    start = datetime(2025, 1, 5, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    for _ in range(6):
        sid += 1
        start += timedelta(days=6)
        out.append(_session(rng, sid, SOLD_VIN, rng.choice(HOME), start))
    return sorted(out, key=lambda s: datetime.fromisoformat(s["chargeStartDateTime"]))


def _vehicle_data(base: dict, vin: str, name: str, *, metric: bool, offset: int) -> dict:
    data = json.loads(json.dumps(base))
    data["vin"], data["display_name"] = vin, name
    vehicle_id = 3745000000000700 + int(vin[-3:]) % 100  # the id scenario.json gives the car
    data["id"], data["id_s"] = vehicle_id, str(vehicle_id)
    data["vehicle_state"]["vehicle_name"] = name
    data["gui_settings"].update(
        {
            "gui_distance_units": "km/hr" if metric else "mi/hr",
            "gui_temperature_units": "C" if metric else "F",
            "gui_tirepressure_units": "Bar" if metric else "Psi",
            "gui_24_hour_time": metric,
        }
    )
    data["vehicle_config"]["utc_offset"] = offset
    return data


def _alerts(rng: random.Random) -> dict:
    names = ("VCFRONT_a192_lowVoltageBatteryLow", "UI_a110_wifiConnection", "TPMS_a146_softWarningFrontRight")
    start = datetime(2026, 3, 13, 18, 0, tzinfo=UTC)
    items = [
        {
            "name": names[i % 3],
            "time": (start - timedelta(hours=7 * i + rng.randint(0, 5))).isoformat().replace("+00:00", "Z"),
            "audience": ["customer"] if i % 2 else ["service", "customer"],
            "user_text": "12V battery needs service" if i % 3 == 0 else "Wi-Fi connection lost",
        }
        for i in range(40)
    ]
    return {"recent_alerts": items}


def _notes() -> dict:
    return {
        "response": {
            "release_notes": [
                {
                    "title": "Supercharger Trip Planner",
                    "subtitle": "Navigation",
                    "description": "Plan charging stops abroad: 東京 → 大阪, 서울 → 부산.",
                    "customer_version": "2026.2.6",
                    "is_fallback": False,
                },
                {
                    "title": "ドライブレコーダー",
                    "subtitle": "カメラ",
                    "description": "録画を USB に保存します。",
                    "customer_version": "2026.2.6",
                    "is_fallback": False,
                },
            ],
            "deployed_version": "2026.2.6",
        }
    }


def main() -> None:
    """Write every file of the scenario."""
    rng = random.Random(20260314)
    y_base = _read(BASE / "7SAYGDEE8RF900401" / "vehicle_data.json")
    m3_base = _read(BASE / "5YJ3E1EB0SF900402" / "vehicle_data.json")
    _write(
        OUT / "scenario.json",
        {
            "account": {
                "email": "jordan.example@example.com",
                "full_name": "Jordan Example",
                "region": "na",
                "profile_image_url": None,
                "vault_uuid": "8f0c2a6e-4b1d-4c3e-9a7f-2e5d6c1b0a97",
            },
            "vehicles": [
                {
                    "vin": Y_VIN,
                    "display_name": "Wanderer",
                    "state": "online",
                    "id": 3745000000000701,
                    "vehicle_id": 1492000000000701,
                    "option_codes": None,
                    "api_version": 90,
                },
                {
                    "vin": M3_VIN,
                    "display_name": "Érable",
                    "state": "online",
                    "id": 3745000000000702,
                    "vehicle_id": 1492000000000702,
                    "option_codes": None,
                    "api_version": 88,
                },
                {
                    "vin": S_VIN,
                    "display_name": "Old Faithful",
                    "state": "offline",
                    "id": 3745000000000703,
                    "vehicle_id": 1492000000000703,
                    "option_codes": None,
                    "api_version": 71,
                },
            ],
        },
    )
    _write(OUT / "charging_history.json", sessions(rng))
    for vin, name, base, metric, folder in (
        (Y_VIN, "Wanderer", y_base, False, "7SAYGDEE8RF900401"),
        (M3_VIN, "Érable", m3_base, True, "5YJ3E1EB0SF900402"),
    ):
        target = OUT / "vehicles" / vin
        _write(target / "vehicle_data.json", _vehicle_data(base, vin, name, metric=metric, offset=-14400))
        for module in ("warranty.json", "options.json", "specs.json", "fleet_status.json"):
            if (BASE / folder / module).exists():
                text = (BASE / folder / module).read_text(encoding="utf-8").replace(folder, vin)
                _write(target / module, json.loads(text))
    _write(OUT / "vehicles" / Y_VIN / "recent_alerts.json", _alerts(rng))
    _write(OUT / "vehicles" / Y_VIN / "release_notes.json", _notes())


if __name__ == "__main__":
    main()
