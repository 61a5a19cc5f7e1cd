#!/usr/bin/env bash
# Tests/system/run.sh: the system test (issue 18). Builds the Debian package (`make deb`),
# boots Debian 12 with a real systemd 252 as PID 1 in systemd-nspawn, installs the package
# there, and checks every behaviour of the units with systemctl and journalctl inside; then
# runs the integration suite against daemons under the packaged sandbox, upgrades and purges.
# Tests/system/README.md lists the checks. CI runs it after `make test` (`make system-test`).
#
# Needs root, and a kernel and cgroup file system nspawn can use: where nspawn cannot run it
# says so in a banner and exits 0 (skipped), never silently. Anything else that goes wrong
# fails. Installs its tools with apt (systemd-container, debootstrap, lintian, pandoc,
# dpkg-dev). The container's root is made once with debootstrap and cached in
# .build/system/rootfs (delete it to start over); the container itself is volatile.
#
# Environment: SYSTEM_TEST_ONLY="name …" runs only those checks (after install);
# SYSTEM_TEST_KEEP=1 leaves the container running at the end (it prints how to enter it).
set -euo pipefail
# Nothing here reads the terminal (a command in the container that did would stop the run).
exec </dev/null
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
here=$repo/Tests/system
# shellcheck source=Tests/system/lib.sh
source "$here/lib.sh"
started=$SECONDS
work=$repo/.build/system
CT_LOG=$work/logs
rm -rf -- "$CT_LOG"
mkdir -p -- "$CT_LOG" "$work/debs"

skip() {
    banner "SYSTEM TEST SKIPPED: $* (the unit, the package and the sandbox were NOT tested under systemd)"
    exit 0
}

# ---- can nspawn run here? ----------------------------------------------------------------
[[ $(id -u) -eq 0 ]] || skip "needs root for systemd-nspawn"
[[ -d /sys/fs/cgroup ]] || skip "no /sys/fs/cgroup"
unshare --mount --pid --uts --ipc --net --fork true 2>/dev/null || skip "this kernel or container does not allow new namespaces"
probe=/sys/fs/cgroup/unified/doorstep-probe-$$
[[ -d /sys/fs/cgroup/unified ]] || probe=/sys/fs/cgroup/doorstep-probe-$$
mkdir "$probe" 2>/dev/null && rmdir "$probe" || skip "cannot create cgroups ($probe)"

need=()
for p in systemd-container debootstrap lintian pandoc dpkg-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [[ ${#need[@]} -gt 0 ]]; then
    echo "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
fi
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is not available"

# ---- the packages and the test bundle ----------------------------------------------------
version=$(sed -n 's/.*release = "\(.*\)".*/\1/p' Sources/DoorstepProtocol/Version.swift)
V1=$version-1 V2=$version-2
t=$SECONDS
make --no-print-directory deb DEB_DIR="$work/debs" DEB_REVISION=1 >"$CT_LOG/make-deb.log" 2>&1 ||
    { tail -n 40 "$CT_LOG/make-deb.log"; echo "make deb failed" >&2; exit 1; }
# The "rebuilt" package of the upgrade: the same binaries, packaged again as a newer revision.
make --no-print-directory deb DEB_DIR="$work/debs" DEB_REVISION=2 >>"$CT_LOG/make-deb.log" 2>&1 ||
    { tail -n 40 "$CT_LOG/make-deb.log"; echo "make deb (revision 2) failed" >&2; exit 1; }
echo "packages: doorstep_${V1}_amd64.deb, doorstep_${V2}_amd64.deb ($((SECONDS - t)) s)"
# The integration suite (debug build, as `make test` leaves it), run inside against the
# packaged daemon.
t=$SECONDS
swift build --build-tests >"$CT_LOG/swift-build.log" 2>&1 || { tail -n 40 "$CT_LOG/swift-build.log"; exit 1; }
bundle=$(swift build --show-bin-path)/doorstepPackageTests.xctest
[[ -x $bundle ]] || { echo "no test bundle at $bundle" >&2; exit 1; }
echo "test bundle: $bundle ($((SECONDS - t)) s)"
toolchain=$(cd -- "$(dirname -- "$(readlink -f -- "$(command -v swift)")")/../.." && pwd)

t=$SECONDS
ensure_rootfs "$work/rootfs"
echo "rootfs ready ($((SECONDS - t)) s)"

# ---- the checks --------------------------------------------------------------------------
passed=() failed=()
# check NAME: runs check_NAME in a subshell with set -e, its output in logs/NAME.log.
check() {
    local name=$1 t=$SECONDS rc=0
    if [[ -n ${SYSTEM_TEST_ONLY:-} && $name != install && " $SYSTEM_TEST_ONLY " != *" $name "* ]]; then return 0; fi
    set +e
    ( set -euo pipefail; "check_$name" ) >"$CT_LOG/$name.log" 2>&1
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        passed+=("$name")
        printf 'PASS  %-14s %4d s\n' "$name" $((SECONDS - t))
        sed -n 's/^NOTE: /        /p' "$CT_LOG/$name.log"
    else
        failed+=("$name")
        printf 'FAIL  %-14s %4d s\n' "$name" $((SECONDS - t))
        sed 's/^/        | /' "$CT_LOG/$name.log" | tail -n 60
        echo "        | -- journal of doorstep (last 40 lines):"
        ct journalctl -u doorstep -u doorstep.socket --no-pager -n 40 2>&1 | sed 's/^/        | /' || true
    fi
}
source "$here/checks.sh"

banner "SYSTEM TEST: booting Debian 12 with systemd in systemd-nspawn"
trap 'poweroff' EXIT
trap 'echo "interrupted" >&2; exit 130' INT TERM
t=$SECONDS
boot "doorstep-st-$$" "$work/rootfs" --bind-ro="$work/debs:/debs" --bind-ro="$repo" --bind-ro="$toolchain"
echo "booted: systemd $(ct systemctl --version | sed -n '1s/systemd \([0-9]*\).*/\1/p') as PID 1, in $((SECONDS - t)) s"

check lintian
check install
check man
check activation
check journal
check roles
check reload
check notify
check watchdog
check stop
check state
check hooks
check integration
check reinstall
check upgrade
check purge

if [[ ${SYSTEM_TEST_KEEP:-} == 1 ]]; then
    trap - EXIT
    echo "container left running: nsenter -t $LEADER -a bash   (stop: kill $NSPAWN_PID)"
else
    poweroff
    trap - EXIT
fi
total=$((SECONDS - started))
summary="${#passed[@]} checks passed, ${#failed[@]} failed in $((total / 60)) min $((total % 60)) s"
if [[ ${#failed[@]} -gt 0 ]]; then
    banner "SYSTEM TEST FAILED: ${failed[*]} ($summary; logs in $CT_LOG)"
    exit 1
fi
banner "SYSTEM TEST PASSED: $summary"
