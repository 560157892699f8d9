"""Tesla Fleet API simulator: auth server, regional Fleet API, scenarios, faults and a billing log.

Use `create_app(config).test_client()` in tests, `SimulatorServer(config).start()` in-process, or
`python -m infra.simulator ...` as a process (see scenarios/README.md for the URL layout and format).
"""

from .app import create_app
from .config import DEFAULT_SCENARIO, SimulatorConfig
from .scenario import Scenario, ScenarioError, load_scenario
from .server import SimulatorServer

__all__ = [
    "DEFAULT_SCENARIO",
    "Scenario",
    "ScenarioError",
    "SimulatorConfig",
    "SimulatorServer",
    "create_app",
    "load_scenario",
]
