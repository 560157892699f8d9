"""docs/openapi.yaml says what the code does: models, error vocabulary, VIN rules."""

from pathlib import Path
from typing import get_args

import yaml
from pydantic import BaseModel

from carpulse import errors
from carpulse.report.i18n import LANGUAGES
from carpulse.services.reports import (
    RenditionCreate,
    RenditionView,
    ReportCreate,
    ReportDeletedView,
    ReportPageView,
    ReportSummaryView,
    ReportView,
    VehicleView,
    VinProgressView,
)
from carpulse.tesla.errors import TeslaError

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml").read_text())
SCHEMAS = SPEC["components"]["schemas"]


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_schemas_list_exactly_the_model_fields():
    models: dict[str, type[BaseModel]] = {
        "Report": ReportView,
        "VinProgress": VinProgressView,
        "Vehicle": VehicleView,
        "ReportCreate": ReportCreate,
        "Rendition": RenditionView,
        "RenditionCreate": RenditionCreate,
        "ReportSummary": ReportSummaryView,
        "ReportPage": ReportPageView,
        "ReportDeleted": ReportDeletedView,
    }
    for name, model in models.items():
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
