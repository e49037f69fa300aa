"""The fault suite (issue 15): each case breaks one part of the platform while users work, and
records what they saw with `fault_report` (tests/fixtures/fault_report.py), which also redraws
the table in docs/reliability.md. The probes are in tests/fixtures/fault_probe.py; the shared
Kubernetes hub with its two users is `fault_hub` (tests/fixtures/fault_hub.py)."""
