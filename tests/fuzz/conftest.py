"""Hypothesis settings for the fuzz tests: random inputs on a laptop, the same inputs in CI."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "default", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# `HYPOTHESIS_PROFILE=thorough`: a longer hunt, by hand.
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=5000)
# CI: derandomized, so a run fails only for a change in the code, never for a new random draw.
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "default"))
