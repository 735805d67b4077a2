"""Health probes for the platform: liveness and readiness (apis.py)."""
