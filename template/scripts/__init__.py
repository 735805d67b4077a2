"""Operational scripts, run with the database's own client tools (see each module)."""
