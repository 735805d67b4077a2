"""Cross-cutting concerns: settings, database, errors, logging and middleware.

Nothing in here imports a feature package; import-linter checks that.
"""
