"""docs/openapi.yaml says what the code does: models, error vocabulary, VIN rules."""

from pathlib import Path
from typing import get_args

import yaml

from carpulse import errors
from carpulse.report.i18n import LANGUAGES
from carpulse.services.reports import ReportCreate, ReportView, VehicleView, VinProgressView
from carpulse.tesla.errors import TeslaError

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
SCHEMAS = SPEC["components"]["schemas"]


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_schemas_list_exactly_the_model_fields():
    for name, model in {
        "Report": ReportView,
        "VinProgress": VinProgressView,
        "Vehicle": VehicleView,
        "ReportCreate": ReportCreate,
    }.items():
        assert set(SCHEMAS[name]["properties"]) == set(model.model_fields), name
        required = {f for f, info in model.model_fields.items() if info.is_required()}
        assert set(SCHEMAS[name].get("required", [])) == required, name


def test_error_vocabulary_covers_every_domain_error():
    documented = set(SCHEMAS["Error"]["properties"]["error"]["enum"])
    ours = {cls.error for cls in _all_subclasses(errors.CarPulseError) if not issubclass(cls, TeslaError)}
    assert ours <= documented, ours - documented


def test_languages_and_vin_pattern_match_the_model():
    props = SCHEMAS["ReportCreate"]["properties"]
    model = get_args(ReportCreate.model_fields["language"].annotation)
    assert props["language"]["enum"] == list(LANGUAGES) == list(model)
    assert props["vins"]["items"]["pattern"] == "^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$"  # either case
    assert SCHEMAS["ReportCreate"]["additionalProperties"] is False


def test_the_vin_limit_of_the_schema_is_the_deployed_default_within_the_cap():
    from carpulse.config import MAX_VINS_PER_REPORT_CAP, Settings

    vins = SCHEMAS["ReportCreate"]["properties"]["vins"]
    assert vins["maxItems"] == Settings().max_vins_per_report
    assert ReportCreate.model_fields["vins"].metadata[-1].max_length == MAX_VINS_PER_REPORT_CAP
    for env in ("dev", "tst", "prd"):
        text = (Path(__file__).resolve().parents[2] / "infra" / "envs" / f"{env}.yaml").read_text()
        assert "MAX_VINS_PER_REPORT" not in text  # each environment runs what the schema says


def test_every_other_summary_and_page_model_is_documented_field_for_field():
    from carpulse.services.reports import (
        RenditionCreate,
        RenditionView,
        ReportDeletedView,
        ReportPageView,
        ReportSummaryView,
    )

    for name, model in {
        "Rendition": RenditionView,
        "RenditionCreate": RenditionCreate,
        "ReportSummary": ReportSummaryView,
        "ReportPage": ReportPageView,
        "ReportDeleted": ReportDeletedView,
    }.items():
        assert set(SCHEMAS[name]["properties"]) == set(model.model_fields), name
        required = {f for f, info in model.model_fields.items() if info.is_required()}
        assert set(SCHEMAS[name]["required"]) == required, name


def test_documented_paths_are_what_the_path_table_routes():
    from carpulse.http import routes

    documented = list(SPEC["paths"])
    for path in documented:
        concrete = path.replace("{report_id}", "0" * 32).replace("{vin}", "5YJ3E1EA7KF000001")
        assert routes.function_for(concrete) != routes.DEFAULT_FUNCTION or concrete == routes.PUBLIC_KEY_PATH, path
    for route in routes.ROUTES:
        for pattern in (p for p in route.paths if not p.endswith("/*")):  # prefixes reserve room below
            assert any(routes.path_matches(pattern, p.replace("{report_id}", "0" * 32)) for p in documented), (
                f"{pattern} ({route.function}) is routed but not documented"
            )


def test_servers_are_the_api_hosts():
    urls = [server["url"] for server in SPEC["servers"]]
    assert "https://api.carpulsetracker.com" in urls
    assert "https://dev.api.carpulsetracker.com" in urls
