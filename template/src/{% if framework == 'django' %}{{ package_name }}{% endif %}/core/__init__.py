"""Cross-cutting concerns: config, database URLs, errors, logging, middleware, health.

Nothing in here imports a feature app; import-linter checks that.
"""
