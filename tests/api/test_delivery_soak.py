"""A bounded randomized soak: faults at random, then both sides agree (bench/soak.py: larger)."""

import os

import pytest

from tests.api.soak_support import Soak

STEPS = int(os.environ.get("SOAK_STEPS", 80))


@pytest.mark.parametrize("seed", [7, 2026])
def test_a_randomized_soak_ends_with_caseware_cloud_equal_to_the_gateway(
    app, http, auth, cwc_sim, seed
):
    soak = Soak(app, http, auth, cwc_sim, seed)
    soak.setup()
    for _ in range(STEPS):
        soak.step()
    soak.settle()
    report = soak.compare()
    assert report["faults_struck"] > 0 and report["entities"] > 0, report
