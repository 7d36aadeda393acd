# Two commands matter: `make demo` and `make test`. Both bootstrap what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Rendering reports needs Pango and fonts; the tests also read PDFs and start servers.
APT_RUNTIME := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2
APT_PACKAGES := $(APT_RUNTIME) python3-yaml git poppler-utils redis-server openssh-server rsync chromium postgresql syncthing
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test bench apt apt-runtime clean

CATALOGS := templates/locale/id/LC_MESSAGES/realtime.mo services/web/events/locale/id/LC_MESSAGES/django.mo

demo: $(STAMP) $(CATALOGS) apt-runtime
	$(VENV)/bin/realtime demo

COMPOSE := .venv-compose/bin/docker-compose

# The suite runs under coverage ([tool.coverage] in pyproject.toml: realtime/, child processes too); the report fails
# under 95 %. `make coverage-html` writes htmlcov/ from the last run.
test: $(STAMP) $(CATALOGS) $(COMPOSE) apt
	@rm -f .coverage .coverage.*
	$(PY) -m coverage run -m pytest -q
	@$(PY) -m coverage combine -q
	$(PY) -m coverage report
	@$(MAKE) --no-print-directory stack-test

.PHONY: coverage-html
coverage-html: $(STAMP)
	$(PY) -m coverage html

# docker-compose 1.29.2 validates the compose files without a Docker engine. It lives in its own venv
# (its pins clash with ours) and needs cython<3 to build PyYAML 5.4 on Python 3.11.
$(COMPOSE):
	$(PYTHON) -m venv .venv-compose
	PIP_CONSTRAINT=$(CURDIR)/production/compose-constraints.txt .venv-compose/bin/pip install -q docker-compose==1.29.2

# Translations: .po sources are committed, .mo files are compiled here (Babel, no GNU gettext needed).
%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel compile -i $< -o $@

bench: $(STAMP)
	$(PY) bench/bench_earthquake.py
	$(PY) bench/bench_shake_process.py
	$(PY) bench/bench_flood.py
	$(PY) bench/bench_refusals.py
	$(PY) bench/bench_great_quake.py
	$(PY) bench/bench_burst.py

# The Rancher 1.6 catalog as a git repository of its own (Rancher wants templates/ at the root of the repository it
# clones, and ours is the report templates): CATALOG_DIR, committed on CATALOG_BRANCH, ready to push. See README.md.
.PHONY: rancher-catalog
CATALOG_DIR ?= build/rancher-catalog
CATALOG_BRANCH ?= master

# Needs only git and Debian's python3-yaml, not the project's virtualenv: a sysadmin's machine will do.
rancher-catalog:
	@$(MAKE) --no-print-directory apt APT_PACKAGES="git python3-yaml"
	/usr/bin/python3 production/build_catalog.py
	/usr/bin/python3 production/build_catalog.py --git $(CATALOG_DIR) --branch $(CATALOG_BRANCH)

# Containers. docker-engine starts dockerd when none answers (installing docker.io, docker-compose and mmdebstrap
# when missing); stop it with `kill $$(cat /tmp/dockerd.pid)`. base-images builds local stand-ins for the base
# images from Debian packages, for machines without Docker Hub (services/base-images/README.md); images builds
# the four images of docker-compose.yml from them (with a registry, `docker-compose build` needs neither).
.PHONY: docker-engine base-images images
DOCKER_LOG ?= /tmp/dockerd.log

docker-engine:
	@services/base-images/start-docker.sh $(DOCKER_LOG)

base-images: docker-engine
	services/base-images/build.sh $(BASE_IMAGES_FLAGS)

images: base-images
	docker build -t inasafe/realtime-processor:dev -f services/processor/Dockerfile .
	docker build -t inasafe/realtime-web:dev -f services/web/Dockerfile .
	docker build -t inasafe/realtime-sftp:dev services/sftp
	docker build -t inasafe/realtime-sync:dev services/sync

# The container stack from the host (tests/containers): the dev stack, faults at container level, the production
# stack, scale-out (about 7 minutes; `make test` runs it after the rest). Needs the engine and images, built above.
.PHONY: stack-test
stack-test: $(STAMP) images
	STACK_TEST=1 $(PY) -m pytest -q --durations=0 tests/containers

apt-runtime:
	@$(MAKE) --no-print-directory apt APT_PACKAGES="$(APT_RUNTIME)"

# Install Debian packages the tests need, only when something is missing.
apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "need python3-venv: apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[processor,test,web]'
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .venv-compose var build *.egg-info .coverage .coverage.* htmlcov
