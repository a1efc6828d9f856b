"""Tests of the operator features (issue 15): quotas, usage, health, metrics, export/import, admin."""
