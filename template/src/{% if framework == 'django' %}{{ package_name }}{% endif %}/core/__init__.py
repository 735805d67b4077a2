"""Cross-cutting concerns: config, database URLs, errors and their rendering, logging, middleware.

Nothing in here imports a feature app; import-linter checks that.
"""
