# Installs the Debian 12 packages pcfdemo needs. Sourced by scripts/run.sh and scripts/test.sh.
# Usage: install_deps run|test

PCFDEMO_BUILD_PACKAGES=(
  build-essential cmake pkg-config ccache
  libpistache-dev libmemcached-dev libsoci-dev libboost-dev default-libmysqlclient-dev
  libsqlite3-dev libcurl4-openssl-dev nlohmann-json3-dev
)
PCFDEMO_TEST_PACKAGES=(
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  memcached libmemcached-tools sasl2-bin libsasl2-modules mariadb-server mariadb-client nginx
  curl jq procps python3 python3-yaml binutils
  # Browser tests. npm is left out: NodeSource's nodejs bundles it and conflicts with
  # Debian's npm package; tests/browser/run.sh installs npm only when no npm command exists.
  chromium nodejs
)

install_deps() {
  local wanted=("${PCFDEMO_BUILD_PACKAGES[@]}")
  [ "${1:-run}" = test ] && wanted+=("${PCFDEMO_TEST_PACKAGES[@]}")

  local missing=()
  local package
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "installing ${missing[*]} needs root" >&2; return 1; }
    sudo=(sudo)
  fi
  echo "installing: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # Package scripts must not start system services: the tests start their own servers.
  local policy=/usr/sbin/policy-rc.d
  local made_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    made_policy=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
  [ "$made_policy" -eq 1 ] && "${sudo[@]}" rm -f "$policy"
  return 0
}
