#!/usr/bin/env bash
# Installs the Debian packages Doorstep needs to build and test, if any is missing; with
# arguments, those packages instead (`make deb`: pandoc dpkg-dev binutils).
#   libsystemd-dev pkg-config  build: sd_notify, sd_listen_fds, sd_journal_sendv
#   libedit-dev                build: doorstepctl's interactive session (line editing, history)
#   tmux zsh fish              tests: the interactive session in a terminal; completion scripts
#   systemd                    tests: systemd-socket-activate, systemd-analyze
#   util-linux                 tests: setpriv (connect as another user), unshare
#   socat                      tests and docs: talking to the socket by hand
#   strace                     durability tests: fault injection
#   procps e2fsprogs python3   tests: pkill, mkfs.ext4 for the power-cut test, its shutdown ioctl
#   chromium fonts-wqy-microhei  tests: the HTML report rendered in a real browser, with Chinese glyphs
#   prometheus                 tests: promtool check metrics on the metrics command's output
#   postgresql postgresql-client  tests: doorstep-ship into PostgreSQL 15 (DistrictTests starts
#                              its own cluster with initdb; the packaged one is not used)
set -euo pipefail
packages=(libsystemd-dev pkg-config libedit-dev tmux zsh fish systemd util-linux socat strace procps e2fsprogs python3
          chromium fonts-wqy-microhei prometheus postgresql postgresql-client)
[ $# -eq 0 ] || packages=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
