#!/usr/bin/env bash
# What the template's suite needs beyond uv (which the Makefile provides): Chromium for
# the browser test, nginx for the proxy sample's test (tests/test_proxy.py), PostgreSQL and
# MariaDB on loopback for the generated projects' tests. Installs Chromium and nginx from
# Debian's packages when they are missing and we are root; otherwise says the one command
# to run. Called by `make test` and so by CI.
set -euo pipefail

missing=0
say() { printf 'make test: %s\n' "$*" >&2; }

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing Chromium from Debian's package (the browser test needs it)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq chromium >/dev/null
    else
        say "Chromium is missing; install it with: sudo apt-get install chromium"
        missing=1
    fi
fi

# Debian installs nginx in /usr/sbin, which a user's PATH may not hold.
if ! PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nginx >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing nginx from Debian's package (the proxy sample's test runs it)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # The test runs its own nginx on a free port; one the package may start is not used.
        apt-get install -y -qq nginx >/dev/null
    else
        say "nginx is missing; install it with: sudo apt-get install nginx"
        missing=1
    fi
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
