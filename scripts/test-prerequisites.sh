#!/usr/bin/env bash
# What the template's suite needs beyond uv (which the Makefile provides): Chromium for
# the browser test, nginx for the proxy sample's test (tests/test_proxy.py), PostgreSQL and
# MariaDB on loopback for the generated projects' tests. Installs Chromium and nginx from
# Debian's packages when they are missing and we are root; otherwise says the one command
# to run. Called by `make test` and so by CI.
set -euo pipefail

missing=0
say() { printf 'make test: %s\n' "$*" >&2; }

# need COMMAND PACKAGE WHY: install Debian's PACKAGE when COMMAND is missing and we are
# root, else say how. Debian installs some commands in /usr/sbin, which a user's PATH may not hold.
need() {
    if PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v "$1" >/dev/null 2>&1; then
        return
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing $2 from Debian's package ($3)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "$2" >/dev/null
    else
        say "$1 is missing; install it with: sudo apt-get install $2"
        missing=1
    fi
}

need chromium chromium "the browser test needs it"
# The test runs its own nginx on a free port; one the package may start is not used.
need nginx nginx "the proxy sample's test runs it"

# kubectl's built-in kustomize builds the Kubernetes overlays (tests/test_kubernetes.py). It is
# not a Debian package: it comes with the machine's Google Cloud SDK, or Kubernetes' own apt repository.
if ! command -v kubectl >/dev/null 2>&1; then
    say "kubectl is missing (the Kubernetes manifests' test builds them with kubectl kustomize); install the Kubernetes client from its apt repository"
    missing=1
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! port_open 5432; then
    say "PostgreSQL is not answering on 127.0.0.1:5432 (user postgres, trust auth); start it, e.g. with: sudo pg_ctlcluster \$(ls /etc/postgresql) main start"
    missing=1
fi
if ! port_open 3306; then
    say "MariaDB is not answering on 127.0.0.1:3306 (user root, no password); start it, e.g. with: sudo systemctl start mariadb"
    missing=1
fi
exit "$missing"
