# Preflight's task runner: the same verbs as the projects it generates.
.DEFAULT_GOAL := help
.PHONY: help project test bench lint format clean release tags

# uv from PATH, or a private copy in .tools/ on a machine that has none.
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
export PATH := $(CURDIR)/.tools/bin:$(PATH)
DEST ?= ../my-service

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

project: $(UV) ## Generate a service with the default answers: make project DEST=../my-service ARGS="-d database=mysql"
	$(UV) run --group dev python scripts/project.py --trust --defaults $(ARGS) . $(DEST)

test: $(UV) ## Run the template's test suite (renders and tests real projects; about 18 minutes)
	bash scripts/test-prerequisites.sh
	$(UV) run pytest -n 2 --dist loadgroup

bench: $(UV) ## Benchmark services and `copier copy` against floors in 3 interleaved rounds; ratios with spreads (10-25 minutes)
	$(UV) run --group bench python bench/run.py $(ARGS)

lint: $(UV) ## Lint the template's own code
	$(UV) run ruff check hooks tests bench scripts
	$(UV) run ruff format --check hooks tests bench scripts

format: $(UV) ## Format the template's own code
	$(UV) run ruff format hooks tests bench scripts
	$(UV) run ruff check --fix hooks tests bench scripts

release: $(UV) ## Tag a release: make release VERSION=X.Y.Z (needs its CHANGELOG.md entry; pushes nothing)
	$(UV) run python scripts/release.py release "$(VERSION)"

tags: $(UV) ## Recreate the tags of the releases CHANGELOG.md records (a clone may come without them)
	$(UV) run python scripts/release.py tags

clean: ## Remove the local tool copy and caches
	rm -rf .tools .venv .pytest_cache .ruff_cache
