"""Reading the simulator's state in CWC terms, for the adapter's integration tests."""

from __future__ import annotations

from typing import Any

from adapters.caseware_cloud.simulator import SimulatorHandle


def entity_in(sim: SimulatorHandle, guid: str) -> dict[str, Any]:
    """The simulator's record of one entity, with its addresses."""
    return next(e for e in sim.state()["entities"] if e["CWGuid"] == guid)


def user_in(sim: SimulatorHandle, guid: str) -> dict[str, Any]:
    return next(u for u in sim.state()["users"] if u["CWGuid"] == guid)


def calls_to(sim: SimulatorHandle, method: str, path: str) -> list[dict[str, Any]]:
    """Calls the simulator answered for one method and path (prefix stripped)."""
    return [c for c in sim.calls() if c["method"] == method and c["path"] == path]
