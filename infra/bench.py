"""`make bench`: the ratio table of issue 11 (concurrency, wall time, billed calls, storage, cold
start, memory), then render time and PDF size.

Two local stacks (the default and the business scenario) with 300 ms added to every Tesla call.
Each figure is a ratio of two things measured in the same run, with its goal; wall-clock numbers
belong here, never in tests (tests assert call counts and round trips from the simulator's log).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from carpulse.domain.tasks import TaskKind
from infra.bench_common import LATENCY_MS, Figure, add_latency, print_table, say
from infra.bench_render import print_render_table, scenario_snapshots
from infra.local.stack import CLIENT_ID, DEFAULT_SCENARIO, LocalStack

if TYPE_CHECKING:
    from infra.bench_report import InProcessReports

__all__ = ["main", "scenario_snapshots"]  # scenario_snapshots: also used by infra/bench_concurrency.py
BUSINESS = DEFAULT_SCENARIO.parent / "business"
WALL_SIZES = (1, 5, 20, 50)
HEADROOM = 0.75  # of a function's deployed memory: the most its peak may use


def business_figures(runs: int) -> list[Figure]:
    """Everything measured on the business scenario (50 cars, 500 sessions)."""
    from infra.bench_cold import cold_start_ratios
    from infra.bench_fleet import paired
    from infra.bench_report import InProcessReports, Scenario, minimum_plan
    from infra.bench_stack import api_for, first_and_warm_vin_task, peak_memory, timed_report
    from infra.local.owner import simulator_user_token

    figures: list[Figure] = []
    scenario = Scenario.read(BUSINESS)
    online = [vin for vin, state in scenario.vehicles.items() if state == "online"]
    region = json.loads((BUSINESS / "scenario.json").read_text())["account"]["region"]
    with _stack(BUSINESS) as stack:
        sim = stack.urls["tesla"]
        add_latency(sim)
        token = simulator_user_token(stack.urls, CLIENT_ID, stack.client_secret, stack.env["OAUTH_REDIRECT_URI"])
        base = f"{sim}/fleet/{region}"
        say("… our client against python-tesla-fleet-api")
        for label, vins, history in (("1 VIN", online[:1], False), ("20 VINs", online[:20], False)):
            ratio = paired(base, token["access_token"], vins, history=history, runs=runs)
            figures.append(Figure(name=f"ours / python-tesla-fleet-api, {label}", value=ratio, goal=1.2))
        ratio = paired(base, token["access_token"], [], history=True, runs=runs)
        figures.append(Figure(name="ours / python-tesla-fleet-api, 500-session history", value=ratio, goal=1.2))

        say("… billed calls and round trips, business scenario")
        reports = InProcessReports(stack)
        one = reports.run([online[0]])
        plan = minimum_plan(scenario, [online[0]], cached=False)
        figures.append(_billing("business, one VIN", one.billed(), plan))
        prepared = reports.run(list(scenario.vehicles), stop_before=lambda task: task.kind is TaskKind.VEHICLE)
        figures.append(
            Figure(
                name="prepare, 500 sessions: round trips",
                value=prepared.round_trips(TaskKind.PREPARE),
                goal=3,
                detail=f"{LATENCY_MS} ms each",
            )
        )
        api = api_for(stack)
        vins = list(scenario.vehicles)
        for size in WALL_SIZES:
            say(f"… report of {size} VIN(s) through the stack")
            timed = timed_report(stack, api, vins[:size])
            figures.append(
                Figure(
                    name=f"report wall / bound, N = {size}",
                    value=timed.wall / timed.bound,
                    goal=1.3,
                    detail=timed.detail,
                )
            )
        for name, (peak, limit) in sorted(peak_memory(stack).items()):
            figures.append(
                Figure(
                    name=f"peak RSS / limit: {name}",
                    value=peak / limit,
                    goal=HEADROOM,
                    detail=f"{peak:.0f} of {limit:.0f} MiB",
                )
            )
        say("… the worker's first VIN task against a warm one")
        first, warm = first_and_warm_vin_task(stack, reports, online[1])
        figures.append(
            Figure(
                name="worker: first VIN task / warm", value=first / warm, goal=1.5, detail=f"{first:.2f}s, {warm:.2f}s"
            )
        )
        add_latency(sim, 0)
        stack.wait_idle()
        say("… cold starts")
        ready, real, hello = cold_start_ratios(stack, api.session_token, _deployed_key(reports))
        for name, ratio in sorted(ready.items()):
            figures.append(
                Figure(name=f"first answer / hello-world: {name}", value=ratio, goal=2, detail=f"hello {hello:.2f}s")
            )
        for name, ratio in sorted(real.items()):
            figures.append(Figure(name=f"first backed answer / hello-world: {name}", value=ratio, goal=None))
    return figures


def default_figures() -> list[Figure]:
    """Billed calls, storage and round trips of the default scenario, cold and a second time."""
    from infra.bench_report import InProcessReports, Scenario, minimum_plan

    scenario = Scenario.read(DEFAULT_SCENARIO)
    vins = list(scenario.vehicles)
    figures = []
    with _stack(DEFAULT_SCENARIO) as stack:
        add_latency(stack.urls["tesla"])
        say("… billed calls, storage and round trips, default scenario")
        reports = InProcessReports(stack)
        for label, cached in (("default, cold", False), ("default, second report", True)):
            run = reports.run(vins)
            figures.append(_billing(label, run.billed(), minimum_plan(scenario, vins, cached=cached)))
            figures.append(
                Figure(
                    name=f"storage operations per VIN task, {label}",
                    value=run.storage_per_vin(),
                    goal=15,
                    detail=f"mean of {len(vins)}",
                )
            )
            figures.append(
                Figure(
                    name=f"one VIN's Tesla phase: round trips, {label}",
                    value=run.round_trips(TaskKind.VEHICLE),
                    goal=4,
                    detail=f"slowest VIN, {LATENCY_MS} ms each",
                )
            )
    return figures


def _billing(label: str, measured: int, plan: int) -> Figure:
    return Figure(
        name=f"billed calls / minimum plan, {label}", value=measured / plan, goal=1.05, detail=f"{measured} / {plan}"
    )


def _deployed_key(reports: InProcessReports) -> dict[str, str]:
    """The public key as configuration, as deployed (locally it is otherwise derived from a secret)."""
    from carpulse.partner_key import public_key_pem

    app = reports.app
    return {"PUBLIC_KEY_PEM": public_key_pem(app.secrets.get(app.settings.tesla_private_key_name))}


def _stack(scenario: Path) -> LocalStack:
    return LocalStack(
        scenario=scenario,
        log_dir=Path(tempfile.mkdtemp(prefix="carpulse-bench-")),
        wake_seconds=1.0,
        # A benchmark asks for more reports in an hour than an owner may.
        extra_env={"MAX_VINS_PER_REPORT": "50", "MAX_REPORT_REQUESTS_PER_HOUR": "1000"},
    )


def main() -> int:
    """Print the ratio table (and, unless --no-render, the render table)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="paired runs per client comparison")
    parser.add_argument("--render-runs", type=int, default=3)
    parser.add_argument("--no-render", action="store_true")
    args = parser.parse_args()
    figures = default_figures() + business_figures(args.runs)
    print_table(figures)
    if not args.no_render:
        print()
        print_render_table(args.render_runs, languages=("en",))
    return 0 if all(f.met is not False for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
