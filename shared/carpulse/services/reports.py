"""Frontend use cases: list vehicles, request, list, read and delete reports, disconnect."""

from __future__ import annotations

import logging
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from carpulse.config import MAX_VINS_PER_REPORT_CAP, Settings
from carpulse.domain import billing, paging, report_life
from carpulse.domain.models import (
    Account,
    Rendition,
    RenditionStatus,
    ReportOptions,
    ReportRequest,
    ReportStatus,
    VinProgress,
    VinStatus,
)
from carpulse.domain.tasks import TaskKind, WorkerTask
from carpulse.errors import (
    InvalidRequestError,
    NotFoundError,
    ReportInProgressError,
    RetryLaterError,
    UpstreamError,
    VehicleNotFailedError,
)
from carpulse.gcp.ports import AccountStore, BlobStore, Clock, ReportStore, SessionStore, TaskQueue
from carpulse.logs import log_fields, mask_vin
from carpulse.services import object_names
from carpulse.services.limits import ReportGate
from carpulse.services.partition import SeenVehicles, store_seen
from carpulse.tesla.client import VEHICLES_PER_PAGE
from carpulse.tesla.errors import PartnerNotRegisteredError, TeslaError
from carpulse.tesla.ports import FleetApi
from carpulse.tesla.schemas import VehicleSummary

log = logging.getLogger(__name__)
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$", re.IGNORECASE)
_REPORT_ID_RE = re.compile(r"^[0-9a-f]{32}$")


class ReportCreate(BaseModel):
    """Body of POST /reports. A VIN may come in either case (it is answered upper-case); booleans
    are JSON booleans, nothing coerced (a string "yes" must not become a billed wake)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    vins: list[str] = Field(min_length=1, max_length=MAX_VINS_PER_REPORT_CAP)
    allow_wake: bool = False
    language: Literal["en", "fi", "sv", "nb", "da", "de", "fr", "es", "it"] = "en"
    # At most this much of Tesla's bill (US dollars): specs and invoice PDFs that would go past a
    # vehicle's equal share are left out, and the report says so.
    budget_usd: float | None = Field(default=None, gt=0, le=1000)  # absent: no budget (null is refused)

    @field_validator("budget_usd", mode="before")
    @classmethod
    def _budget_given_as_a_number(cls, value: object) -> object:
        if value is None:
            raise ValueError("must be a number; leave it out for no budget")
        return value

    @field_validator("vins")
    @classmethod
    def _vins_well_formed(cls, vins: list[str]) -> list[str]:
        bad = [vin for vin in vins if not _VIN_RE.fullmatch(vin)]
        if bad:
            raise ValueError("each VIN must be 17 characters (A-Z without I, O, Q, and 0-9, either case)")
        cleaned = [vin.upper() for vin in vins]
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a VIN is listed twice")
        return cleaned


class VehicleView(BaseModel):
    """A vehicle of the account as the frontend lists it, before anything is paid for."""

    vin: str
    display_name: str | None
    state: str | None
    model: str | None = None  # from the VIN, e.g. "Model 3"
    model_year: int | None = None  # from the VIN (position 10)
    trim: str | None = None  # from specs an earlier report read (cached); None before the first report


class MissingView(BaseModel):
    """A section a finished VIN's report could not fill: the code, and words in the report's language."""

    section: str
    reason_code: str
    message: str


class TeslaCostView(BaseModel):
    """Tesla's billed answers by category and what they cost at the price table's prices."""

    calls: dict[str, int]  # data, wake, command, specs (free calls are not billed)
    cost_usd: float
    currency: Literal["USD"] = "USD"
    prices_as_of: str


class VehicleCostView(TeslaCostView):
    """One VIN's share."""

    vin: str


class ReportCostView(TeslaCostView):
    """A report's bill: its account-level calls (the ownership check, the charging history, the
    fleet status) and each vehicle's, summed."""

    account: TeslaCostView
    vehicles: list[VehicleCostView]


class UsageView(TeslaCostView):
    """Tesla's bill for the account's reports of this calendar month (UTC) so far."""

    month: str  # YYYY-MM
    since: datetime
    reports: int


class VinProgressView(BaseModel):
    """One VIN of a report, as a UI draws it."""

    vin: str
    display_name: str | None = None  # the owner's name for the car when the report was requested
    status: VinStatus  # the same value as `stage` (kept for existing clients)
    stage: VinStatus
    stage_text: str  # what is happening, in the report's language
    percent: int  # 0-100: this VIN's stage
    eta: datetime | None = None  # waiting_for_vehicle: when we ask the car again
    step: str  # English detail (deprecated: use stage_text)
    error: str | None = None  # the failure in the report's language (never Tesla's own text)
    error_code: str | None = None
    missing: list[MissingView] = []
    download_url: str | None = None
    json_url: str | None = None  # the same report as JSON (the data the PDF was rendered from)
    tesla_cost: TeslaCostView | None = None  # this VIN's billed Tesla calls so far


class ReportView(BaseModel):
    """Report status for the frontend."""

    report_id: str
    status: ReportStatus
    language: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    done: int
    total: int
    percent: int  # 0-100 over every VIN's stage
    error: str | None = None
    vehicles: list[VinProgressView]
    files: dict[str, str] = {}  # sessions_csv, invoices_zip: signed links once the report is finished
    links_expire_in: int
    links_expire_at: datetime  # every signed link above stops working then: poll again for new ones
    renditions: list[RenditionView] = []  # the report again in other languages
    tesla_cost: ReportCostView | None = None  # Tesla's bill for the report so far (an estimate)


class RenditionCreate(BaseModel):
    """Body of POST /reports/{id}/renditions."""

    model_config = ConfigDict(extra="forbid", strict=True)

    language: Literal["en", "fi", "sv", "nb", "da", "de", "fr", "es", "it"]


class RenditionVehicleView(BaseModel):
    """One VIN's files in a rendition."""

    vin: str
    download_url: str | None = None
    json_url: str | None = None


class RenditionView(BaseModel):
    """A report rendered again in another language."""

    language: str
    status: RenditionStatus
    requested_at: datetime
    completed_at: datetime | None = None
    error: str | None = None  # in the rendition's language
    error_code: str | None = None
    vehicles: list[RenditionVehicleView] = []  # once done: the VINs that have a PDF
    files: dict[str, str] = {}  # sessions_csv, once done


class ReportListQuery(BaseModel):
    """Query of GET /reports."""

    model_config = ConfigDict(extra="ignore")

    page_size: int = Field(default=paging.DEFAULT_PAGE_SIZE, ge=1, le=paging.MAX_PAGE_SIZE)
    page_token: str | None = Field(default=None, min_length=1, max_length=200)


class ReportSummaryView(BaseModel):
    """One report in the account's list (its status has the details)."""

    report_id: str
    status: ReportStatus
    language: str
    vins: list[str]
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


class ReportPageView(BaseModel):
    """A page of the account's reports, newest first."""

    reports: list[ReportSummaryView]
    next_page_token: str | None  # null on the last page


class ReportDeletedView(BaseModel):
    """What deleting a report removed."""

    report_id: str
    deleted: bool
    deleted_objects: int
    revoked_pdfs: int


@dataclass(kw_only=True)
class ReportsService:
    """What a signed-in owner can do."""

    settings: Settings
    sessions: SessionStore
    accounts: AccountStore
    reports: ReportStore
    blobs: BlobStore
    queue: TaskQueue
    fleet_for_account: Callable[[Account], FleetApi]
    clock: Clock
    revoke_account: Callable[[str], int] | None = None  # verification records of the account's reports
    revoke_report: Callable[[str, str], int] | None = None  # (account_id, report_id): one report's records
    gate: ReportGate | None = None  # cost limits and Idempotency-Keys (services/limits.py)

    def list_vehicles(self, account: Account) -> list[VehicleView]:
        """The account's vehicles from Tesla's cheap list call (never wakes a car), with what the VIN
        says and what earlier reports cached: no other Tesla call."""
        from carpulse.domain.vin import model_from_vin, model_year
        from carpulse.services.fetch import cached_trim
        from carpulse.tesla.fanout import run_all

        vehicles = [(v.vin, v) for v in self._tesla_vehicles(account) if v.vin]
        trims = run_all([partial(cached_trim, self.blobs, account.account_id, vin) for vin, _ in vehicles])
        return [
            VehicleView(
                vin=vin,
                display_name=v.display_name,
                state=v.state,
                model=model_from_vin(vin),
                model_year=model_year(vin),
                trim=trim,
            )
            for (vin, v), trim in zip(vehicles, trims, strict=True)
        ]

    def _tesla_vehicles(self, account: Account) -> list[VehicleSummary]:
        try:
            return self.fleet_for_account(account).vehicles()
        except TeslaError as exc:  # login_required arrives as ReconnectRequiredError (409)
            raise self._upstream(exc) from exc

    def request_report(self, account: Account, body: ReportCreate, idempotency_key: str | None = None) -> ReportView:
        """Within the account's limits and its Idempotency-Key (services/limits.py): check ownership
        of every VIN, then create the report and queue its preparation."""
        if len(body.vins) > self.settings.max_vins_per_report:
            limit = self.settings.max_vins_per_report
            raise InvalidRequestError(
                f"at most {limit} vehicles per report", messages={"vins": [f"at most {limit} vehicles per report"]}
            )
        if self.gate is None:
            return self._create_report(account, body, uuid.uuid4().hex)
        return self.gate.run(
            account.account_id,
            body,
            idempotency_key,
            create=lambda report_id: self._create_report(account, body, report_id),
            replay=lambda report_id: self.report_status(account, report_id),
        )

    def _create_report(self, account: Account, body: ReportCreate, report_id: str) -> ReportView:
        listed = self._tesla_vehicles(account)
        owned = {vehicle.vin for vehicle in listed if vehicle.vin}
        foreign = [vin for vin in body.vins if vin not in owned]
        if foreign:
            # Same answer whether the VIN exists elsewhere or not: nothing to learn by probing.
            raise NotFoundError(
                "vehicle not found on this account", messages={"vins": [f"{mask_vin(v)} is not yours" for v in foreign]}
            )
        now = self.clock()
        expires_at = now + timedelta(days=self.settings.report_retention_days)  # Firestore TTL (retention.py)
        report = ReportRequest(
            report_id=report_id,
            account_id=account.account_id,
            vins=tuple(body.vins),
            options=ReportOptions(allow_wake=body.allow_wake, language=body.language, budget_usd=body.budget_usd),
            # The ownership check above: one billed vehicle list answer per page of 100 vehicles.
            tesla_calls={"data": max(1, math.ceil(len(listed) / VEHICLES_PER_PAGE))},
            created_at=now,
            updated_at=now,
            expires_at=expires_at,
        )
        names = {vehicle.vin: vehicle.display_name for vehicle in listed}
        progress = [
            VinProgress(vin=vin, display_name=names.get(vin), updated_at=now, expires_at=expires_at)
            for vin in body.vins
        ]
        # The state Tesla just gave: the report's tasks use it while fresh instead of asking again.
        store_seen(self.blobs, account.account_id, report.report_id, SeenVehicles(seen_at=now, vehicles=listed))
        self.reports.create(report, progress)
        try:
            self.queue.enqueue(WorkerTask(kind=TaskKind.PREPARE, report_id=report.report_id))
        except Exception as exc:
            # Leave no report behind that nothing will ever work on.
            self.reports.close(
                report.report_id, ReportStatus.FAILED, {"error": "could not be queued", "error_code": "internal_error"}
            )
            log.exception("enqueue failed", extra=log_fields(report=report.report_id))
            raise RetryLaterError("the report could not be queued; try again", retry_after=30) from exc
        log.info("report requested", extra=log_fields(report=report.report_id, vins=len(body.vins)))
        return self._view(report, progress)

    def report_status(self, account: Account, report_id: str) -> ReportView:
        """Status with per-VIN progress and signed links to finished PDFs."""
        report = self._owned(account, report_id)
        return self._view(report, self.reports.progress(report_id))

    def list_reports(self, account: Account, query: ReportListQuery) -> ReportPageView:
        """A page of the account's reports, newest first; the token continues where it ended."""
        after = None
        if query.page_token is not None:
            after = paging.ReportCursor.from_token(query.page_token)
            if after is None:
                raise InvalidRequestError(
                    "page_token is not a token from this API", messages={"page_token": ["is not a page token we gave"]}
                )
        found = self.reports.list_for_account(account.account_id, query.page_size + 1, after)
        page = found[: query.page_size]
        more = len(found) > query.page_size
        return ReportPageView(
            reports=[
                ReportSummaryView(
                    report_id=r.report_id,
                    status=r.status,
                    language=r.options.language,
                    vins=list(r.vins),
                    created_at=r.created_at,
                    updated_at=r.updated_at,
                    completed_at=r.completed_at,
                )
                for r in page
            ],
            next_page_token=paging.ReportCursor.after(page[-1]).to_token() if more and page else None,
        )

    def delete_report(self, account: Account, report_id: str) -> ReportDeletedView:
        """A finished report gone: its PDFs withdrawn at the verify page first, then its stored
        objects, then its documents (so a repeat after a failure finishes the job)."""
        report = self._owned(account, report_id)
        if report.is_open:
            raise ReportInProgressError("the report is still being made; delete it once it has finished")
        revoked = self.revoke_report(account.account_id, report_id) if self.revoke_report else 0
        deleted = self.blobs.delete_prefix(object_names.report_prefix(account.account_id, report_id))
        self.reports.delete(report_id)
        log.info("report deleted", extra=log_fields(report=report_id, objects=deleted, revoked=revoked))
        return ReportDeletedView(report_id=report_id, deleted=True, deleted_objects=deleted, revoked_pdfs=revoked)

    def request_rendition(self, account: Account, report_id: str, body: RenditionCreate) -> RenditionView:
        """Queue the finished report's rendering in another language (from its stored snapshots:
        no Tesla call); asking again for a queued or done language answers with it."""
        report = self._owned(account, report_id)
        if report.is_open:
            raise ReportInProgressError("the report is still being made; ask for another language once it has finished")
        if body.language == report.options.language:
            raise InvalidRequestError(
                "the report is already in that language", messages={"language": ["is the report's own language"]}
            )
        added = self.reports.add_rendition(report_id, body.language, self.clock())
        if added is None:
            raise NotFoundError("report not found")
        rendition, new = added
        if new:
            task = WorkerTask(kind=TaskKind.RENDITION, report_id=report_id, language=body.language)
            try:
                self.queue.enqueue(task)
            except Exception as exc:
                self.reports.finish_rendition(report_id, body.language, RenditionStatus.FAILED, "internal_error")
                log.exception("enqueue failed", extra=log_fields(report=report_id))
                raise RetryLaterError("the rendition could not be queued; try again", retry_after=30) from exc
            log.info("rendition requested", extra=log_fields(report=report_id, language=body.language))
        return self._rendition_view(report, rendition, [])

    def _rendition_view(
        self, report: ReportRequest, rendition: Rendition, progress: list[VinProgress]
    ) -> RenditionView:
        from carpulse.report.i18n import Catalog

        ttl, language = self.settings.signed_url_ttl_seconds, rendition.language
        vehicles, files = [], {}
        if rendition.status is RenditionStatus.DONE:
            for item in progress:
                if item.status is not VinStatus.DONE or not item.snapshot_object:
                    continue
                names = (report.account_id, report.report_id, language, item.vin)
                stem = f"carpulse-{item.vin[-6:]}-{report.report_id[:8]}-{language}"
                vehicles.append(
                    RenditionVehicleView(
                        vin=item.vin,
                        download_url=self.blobs.signed_url(
                            object_names.rendition_pdf_object(*names), ttl, download_name=f"{stem}.pdf"
                        ),
                        json_url=self.blobs.signed_url(
                            object_names.rendition_json_object(*names), ttl, download_name=f"{stem}.json"
                        ),
                    )
                )
            if report.csv_object:
                files["sessions_csv"] = self.blobs.signed_url(
                    object_names.rendition_csv_object(report.account_id, report.report_id, language),
                    ttl,
                    download_name=f"charging-sessions-{report.report_id[:8]}-{language}.csv",
                )
        code = rendition.error_code
        return RenditionView(
            language=language,
            status=rendition.status,
            requested_at=rendition.requested_at,
            completed_at=rendition.completed_at,
            error=_failure_text(Catalog(language), code) if code else None,
            error_code=code,
            vehicles=vehicles,
            files=files,
        )

    def retry_vehicle(self, account: Account, report_id: str, vin: str) -> ReportView:
        """Try a failed VIN of a finished report again: the report runs again until it is over (its
        CSV, ZIP and outcome are made again); the other VINs' PDFs stay as they are."""
        report = self._owned(account, report_id)
        vin = vin.upper()
        if vin not in report.vins:
            raise NotFoundError("vehicle not in this report")
        outcome = self.reports.reopen_for_retry(report_id, vin)
        if outcome == "report_in_progress":
            raise ReportInProgressError("the report is still being made; try the vehicle again once it has finished")
        if outcome == "vehicle_not_failed":
            raise VehicleNotFailedError("only a vehicle that failed can be tried again")
        if not isinstance(outcome, int):
            raise NotFoundError("report not found")
        try:
            self.queue.enqueue(WorkerTask(kind=TaskKind.VEHICLE, report_id=report_id, vin=vin, retry=outcome))
        except Exception:
            # The VIN is queued in the store: the sweeper re-queues it once it counts as stalled.
            log.exception("enqueue of a retry failed; the sweeper will queue it", extra=log_fields(report=report_id))
        log.info("vehicle retried", extra=log_fields(report=report_id, vin=mask_vin(vin), round=outcome))
        return self.report_status(account, report_id)

    def usage(self, account: Account) -> UsageView:
        """The month to date (UTC): every report made since the 1st, account and vehicle calls summed.
        Reads each of those reports' VIN documents: a few reads per report, no Tesla call."""
        now = self.clock()
        since = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        mine: list[ReportRequest] = []
        after = None
        while True:
            page = self.reports.list_for_account(account.account_id, paging.MAX_PAGE_SIZE, after)
            recent = [r for r in page if r.created_at >= since]
            mine += recent
            if len(page) < paging.MAX_PAGE_SIZE or len(recent) < len(page):
                break
            after = paging.ReportCursor.after(page[-1])
        calls = billing.add_calls(
            *(r.tesla_calls for r in mine),
            *(item.tesla_calls for r in mine for item in self.reports.progress(r.report_id)),
        )
        return UsageView(month=f"{since:%Y-%m}", since=since, reports=len(mine), **self._cost(calls).model_dump())

    def _owned(self, account: Account, report_id: str) -> ReportRequest:
        # Another account's report and no report answer alike: nothing to learn by probing ids.
        report = self.reports.get(report_id) if _REPORT_ID_RE.match(report_id) else None
        if report is None or report.account_id != account.account_id:
            raise NotFoundError("report not found")
        return report

    def disconnect(self, account: Account) -> int:
        """Forget the account: its reports' verifications revoked, then tokens, sessions, report
        documents and stored objects deleted. Returns the deleted object count."""
        revoked = self.revoke_account(account.account_id) if self.revoke_account else 0
        deleted = self.blobs.delete_prefix(object_names.account_prefix(account.account_id))
        reports = self.reports.delete_for_account(account.account_id)
        self.sessions.delete_for_account(account.account_id)
        if self.gate is not None:
            self.gate.forget(account.account_id)
        self.accounts.delete(account.account_id)
        log.info(
            "account disconnected",
            extra=log_fields(account=account.account_id, objects=deleted, reports=reports, revoked=revoked),
        )
        return deleted

    def _view(self, report: ReportRequest, progress: list[VinProgress]) -> ReportView:
        from carpulse.report.i18n import Catalog

        catalog = Catalog(report.options.language)
        by_vin = {item.vin: item for item in progress}
        ttl = self.settings.signed_url_ttl_seconds
        views = [
            self._vin_view(report, by_vin.get(vin) or VinProgress(vin=vin, updated_at=report.updated_at), catalog)
            for vin in report.vins
        ]
        files = {}
        for key, name, download in (
            ("sessions_csv", report.csv_object, f"charging-sessions-{report.report_id[:8]}.csv"),
            ("invoices_zip", report.zip_object, f"invoices-{report.report_id[:8]}.zip"),
        ):
            if name:
                files[key] = self.blobs.signed_url(name, ttl, download_name=download)
        return ReportView(
            report_id=report.report_id,
            status=report.status,
            language=report.options.language,
            created_at=report.created_at,
            updated_at=report.updated_at,
            completed_at=report.completed_at,
            done=sum(1 for v in views if v.status.is_terminal),
            total=len(views),
            percent=report_life.report_percent(v.status for v in views),
            error=_failure_text(catalog, report.error_code) if report.error_code else None,
            vehicles=views,
            files=files,
            links_expire_in=ttl,
            links_expire_at=self.clock() + timedelta(seconds=ttl),
            renditions=[self._rendition_view(report, r, progress) for _, r in sorted(report.renditions.items())],
            tesla_cost=self._report_cost(report, [by_vin[v] for v in report.vins if v in by_vin]),
        )

    def _cost(self, calls: dict[str, int]) -> TeslaCostView:
        prices = self.settings.tesla_prices
        return TeslaCostView(calls=calls, cost_usd=billing.cost_usd(calls, prices), prices_as_of=prices.as_of)

    def _report_cost(self, report: ReportRequest, progress: list[VinProgress]) -> ReportCostView:
        total = billing.add_calls(report.tesla_calls, *(item.tesla_calls for item in progress))
        vehicles = [VehicleCostView(vin=item.vin, **self._cost(item.tesla_calls).model_dump()) for item in progress]
        return ReportCostView(
            account=self._cost(report.tesla_calls), vehicles=vehicles, **self._cost(total).model_dump()
        )

    def _vin_view(self, report: ReportRequest, item: VinProgress, catalog: Any) -> VinProgressView:
        ttl, vin, short_id = self.settings.signed_url_ttl_seconds, item.vin, report.report_id[:8]
        done = item.status is VinStatus.DONE
        pdf = json_view = None
        if done and item.pdf_object:
            pdf = self.blobs.signed_url(item.pdf_object, ttl, download_name=f"carpulse-{vin[-6:]}-{short_id}.pdf")
        if done and item.json_object:
            json_view = self.blobs.signed_url(
                item.json_object, ttl, download_name=f"carpulse-{vin[-6:]}-{short_id}.json"
            )
        waiting = item.status is VinStatus.WAITING_FOR_VEHICLE
        return VinProgressView(
            vin=vin,
            display_name=item.display_name,
            status=item.status,
            stage=item.status,
            stage_text=_stage_text(catalog, item),
            percent=report_life.vin_percent(item.status),
            eta=item.wait_until if waiting else None,
            step=item.step,
            error=_failure_text(catalog, item.error_code) if item.error_code else None,
            error_code=item.error_code,
            missing=[
                MissingView(
                    section=m.section,
                    reason_code=m.reason_code,
                    message=catalog.reason(f"reason.{m.reason_code}", m.detail),
                )
                for m in item.missing
            ],
            download_url=pdf,
            json_url=json_view,
            tesla_cost=self._cost(item.tesla_calls),
        )

    @staticmethod
    def _upstream(exc: TeslaError) -> Exception:
        if isinstance(exc, PartnerNotRegisteredError):
            # The owner cannot fix this; ops can (the description names the region and command).
            log.error("partner not registered", extra=log_fields(detail=exc.description))
            return UpstreamError("Car Pulse Tracker is not yet registered with Tesla in your region; we have been told")
        if exc.retryable:
            return RetryLaterError(f"Tesla is unavailable ({exc.error})", retry_after=exc.retry_after or 30)
        return UpstreamError(f"Tesla refused the request ({exc.error})")


def _failure_text(catalog: Any, code: str) -> str:
    """A failure code in the report's language (English until the catalog has it)."""
    key = f"failure.{code}"
    return str(catalog.text(key)) if catalog.has(key) else report_life.FAILURE_CODES.get(code, code)


def _stage_text(catalog: Any, item: VinProgress) -> str:
    """What is happening to a VIN, in the report's language (the English step until the catalog has it)."""
    keys = [f"stage.{item.status.value}"]
    if item.status is VinStatus.WAITING_FOR_VEHICLE and item.wait_reason:
        keys.insert(0, f"stage.waiting_for_vehicle.{item.wait_reason}")
    key = next((k for k in keys if catalog.has(k)), None)
    return str(catalog.text(key)) if key else item.step
