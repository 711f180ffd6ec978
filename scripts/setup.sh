#!/usr/bin/env bash
# Idempotent set-up: Debian packages, TimescaleDB (Apache edition) built from Debian's source
# package, and the project's virtualenv. Fast when everything is already in place.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_MAJOR=15
TSDB_VERSION=2.19.3
TSDB_DEB_VERSION="2.19.3+dfsg-1+deb13u1"
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
CACHE="${ROOT}/.cache"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '[setup] %s\n' "$*"; }

need_pkgs=()
for pkg in "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}" "postgresql-${PG_MAJOR}-plpgsql-check" \
    cmake gcc make dpkg-dev xz-utils chromium chromium-driver \
    pgbackrest "postgresql-${PG_MAJOR}-auto-failover" pg-auto-failover-cli; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing Debian packages: ${need_pkgs[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi
# The Debian package starts a system cluster on 5432; we run our own and leave that one alone.

pkglib="$("$PG_CONFIG" --pkglibdir)"
sharedir="$("$PG_CONFIG" --sharedir)"
if [ -f "${pkglib}/timescaledb-${TSDB_VERSION}.so" ] && [ -f "${sharedir}/extension/timescaledb--${TSDB_VERSION}.sql" ]; then
    log "TimescaleDB ${TSDB_VERSION} already installed"
else
    log "building TimescaleDB ${TSDB_VERSION} (Apache edition) from Debian source ${TSDB_DEB_VERSION}"
    apt_dir="${CACHE}/apt-trixie"
    mkdir -p "${apt_dir}/state/lists/partial" "${apt_dir}/cache/archives/partial" "${CACHE}/src"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    cat >"${apt_dir}/sources.list" <<SRC
deb-src [signed-by=${keyring}] http://deb.debian.org/debian trixie main
deb-src [signed-by=${keyring}] http://deb.debian.org/debian trixie-updates main
deb-src [signed-by=${keyring}] http://deb.debian.org/debian-security trixie-security main
SRC
    apt_opts=(-o "Dir::Etc::SourceList=${apt_dir}/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
        -o "Dir::State=${apt_dir}/state" -o "Dir::Cache=${apt_dir}/cache" -o "APT::Sandbox::User=root")
    apt-get "${apt_opts[@]}" update -qq
    src="${CACHE}/src/timescaledb-${TSDB_VERSION}+dfsg"
    if [ ! -d "$src" ]; then
        (cd "${CACHE}/src" && apt-get "${apt_opts[@]}" source -qq "timescaledb=${TSDB_DEB_VERSION}" >/dev/null)
    fi
    rm -rf "${src}/build" && mkdir -p "${src}/build"
    (
        cd "${src}/build"
        cmake .. -DPG_CONFIG="$PG_CONFIG" -DAPACHE_ONLY=1 -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF \
            -DUSE_TELEMETRY=OFF -DSEND_TELEMETRY_DEFAULT=OFF -DWARNINGS_AS_ERRORS=OFF >build.log 2>&1
        make -j"$(nproc)" >>build.log 2>&1
        $SUDO make install >>build.log 2>&1
    ) || { log "TimescaleDB build failed; see ${src}/build/build.log"; exit 1; }
    log "TimescaleDB ${TSDB_VERSION} installed"
fi

PY="${PYTHON:-python3}"
stamp="${ROOT}/.venv/.installed"
want="$(cat "${ROOT}/pyproject.toml" | sha256sum | cut -c1-16)"
if [ ! -x "${ROOT}/.venv/bin/python" ]; then
    log "creating .venv"
    "$PY" -m venv "${ROOT}/.venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    log "installing the project into .venv"
    "${ROOT}/.venv/bin/pip" install -q --upgrade pip >/dev/null
    "${ROOT}/.venv/bin/pip" install -q -e "${ROOT}[dev]"
    echo "$want" >"$stamp"
fi
log "ready"
