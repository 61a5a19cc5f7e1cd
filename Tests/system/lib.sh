# Tests/system/lib.sh: a Debian 12 container with a real systemd 252 as PID 1, booted with
# systemd-nspawn (../shared/guide/systemd.md), and the helpers the checks use. Sourced by run.sh.
#
# The host runs no systemd: machinectl and `systemd-run -M` do not work, so commands run in the
# container through nsenter into its PID 1's namespaces; nspawn is started from a cgroup of its
# own (v1 name=systemd and the unified hierarchy), removed after the container powers off.

# The Debian packages of the cached root (debootstrap --variant=minbase adds the essential
# ones): systemd as init, man-db for `man`, procps for the integration suite's pkill, libedit2
# for doorstepctl's session (the package depends on it; the container installs offline).
ROOTFS_PACKAGES=systemd,systemd-sysv,dbus,init-system-helpers,procps,man-db,libedit2

# Prints a banner that cannot be missed in a CI log.
banner() {
    local line="################################################################################"
    printf '\n%s\n### %s\n%s\n\n' "$line" "$*" "$line"
}

# ensure_rootfs DIR: a minimal Debian 12 root with systemd in DIR, made once (about 80-150 s,
# 260 MB) and kept; made again when ROOTFS_PACKAGES changes.
ensure_rootfs() {
    local dir=$1 stamp=$1/.doorstep-rootfs
    if [[ -f $stamp && $(<"$stamp") == "$ROOTFS_PACKAGES" ]]; then
        echo "rootfs: cached in $dir"
        return
    fi
    rm -rf -- "$dir" "$dir.tmp"
    mkdir -p -- "$(dirname -- "$dir")"
    echo "rootfs: debootstrap bookworm into $dir (once; cached afterwards)"
    local mirror
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" bookworm "$dir.tmp" "${mirror:-http://deb.debian.org/debian}" \
        >"$(dirname -- "$dir")/debootstrap.log" 2>&1 ||
        { tail -n 30 "$(dirname -- "$dir")/debootstrap.log" >&2; return 1; }
    # No apt lists inside: the container installs only local packages, with no network.
    rm -rf -- "$dir.tmp/var/lib/apt/lists/"* "$dir.tmp/var/cache/apt/"*.bin
    echo "$ROOTFS_PACKAGES" >"$dir.tmp/.doorstep-rootfs"
    mv -- "$dir.tmp" "$dir"
}

# boot NAME ROOTFS [nspawn options...]: boots the container (a volatile overlay: the cached
# root is never written) and waits until systemd reports the system running. Sets LEADER (the
# container's PID 1 as the host sees it) and NSPAWN_PID.
boot() {
    CT_NAME=$1 CT_ROOT=$2 CT_PIDNS=
    shift 2
    local c
    for c in systemd unified; do
        [[ -d /sys/fs/cgroup/$c ]] && mkdir -p "/sys/fs/cgroup/$c/$CT_NAME"
    done
    (
        for c in systemd unified; do
            [[ -d /sys/fs/cgroup/$c/$CT_NAME ]] && echo "$BASHPID" >"/sys/fs/cgroup/$c/$CT_NAME/cgroup.procs"
        done
        exec systemd-nspawn -D "$CT_ROOT" --boot --register=no --keep-unit -q --console=read-only \
            --machine="$CT_NAME" --volatile=overlay --private-network "$@"
    ) >"$CT_LOG/console.log" 2>&1 &
    NSPAWN_PID=$!
    LEADER=
    # The container's PID 1 is nspawn's child once that has become systemd (before, it is
    # nspawn setting the container up).
    local i state=
    for i in $(seq 600); do
        LEADER=$(pgrep -P "$NSPAWN_PID" | head -n 1 || true)
        [[ -n $LEADER && $(readlink "/proc/$LEADER/exe" 2>/dev/null) == */systemd ]] && break
        LEADER=
        kill -0 "$NSPAWN_PID" 2>/dev/null || break
        sleep 0.05
    done
    [[ -n $LEADER ]] || { cat "$CT_LOG/console.log" >&2; echo "boot: systemd-nspawn did not start systemd" >&2; return 1; }
    CT_PIDNS=$(readlink "/proc/$LEADER/ns/pid")
    # Until its bus is up, systemctl answers "offline" or cannot connect.
    for i in $(seq 600); do
        state=$(timeout 120 nsenter -t "$LEADER" -a -- /usr/bin/systemctl is-system-running --wait 2>&1 || true)
        [[ $state == running || $state == degraded ]] && break
        sleep 0.1
    done
    case $state in
    running) ;;
    *) echo "boot: the container's systemd reports '$state'" >&2
       ct systemctl --failed --no-pager >&2 || true
       return 1 ;;
    esac
}

# poweroff: shuts the container down and removes what nspawn leaves on the host.
poweroff() {
    [[ -n ${NSPAWN_PID:-} ]] || return 0
    if kill -0 "$NSPAWN_PID" 2>/dev/null; then
        nsenter -t "$LEADER" -a -- /usr/bin/systemctl poweroff >/dev/null 2>&1 || true
        local i
        for i in $(seq 300); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$NSPAWN_PID" 2>/dev/null; then
            kill -TERM "$NSPAWN_PID"
            sleep 2
            kill -KILL "$NSPAWN_PID" 2>/dev/null || true
        fi
    fi
    # What is left of the container (its shutdown waiting for a process): every process still
    # in its PID namespace, killed.
    local p ns
    if [[ -n ${CT_PIDNS:-} ]]; then
        for p in /proc/[0-9]*; do
            ns=$(readlink "$p/ns/pid" 2>/dev/null || true)
            [[ -n $ns && $ns == "$CT_PIDNS" ]] && kill -KILL "${p#/proc/}" 2>/dev/null
        done
        sleep 0.5
    fi
    wait "$NSPAWN_PID" 2>/dev/null || true
    local c
    for c in systemd unified; do
        [[ -d /sys/fs/cgroup/$c/$CT_NAME ]] && find "/sys/fs/cgroup/$c/$CT_NAME" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    rm -rf -- "/run/systemd/nspawn/propagate/$CT_NAME"
    NSPAWN_PID=
}

# ct COMMAND...: runs a command inside the container, as root, with a clean environment.
ct() {
    nsenter -t "$LEADER" -a -- /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb \
        SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# as USER COMMAND...: the same as USER (its groups from /etc/group).
as() {
    local user=$1
    shift
    ct setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
}

# ---- assertions (each check runs in a subshell with set -e; fail ends it) --------------------
fail() { echo "FAIL: $*" >&2; exit 1; }
# A line for run.sh's summary.
note() { echo "NOTE: $*"; }
expect_eq() { [[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"; }
expect_in() { [[ $1 == *"$2"* ]] || fail "$3: '$2' not found in: $1"; }
expect_not_in() { [[ $1 != *"$2"* ]] || fail "$3: '$2' found in: $1"; }

# show UNIT PROPERTY: one property of a unit inside the container.
show() { ct systemctl show -p "$2" --value "$1"; }

# wait_for SECONDS COMMAND...: polls every 0.1 s until the command succeeds.
wait_for() {
    local limit=$1
    shift
    local end=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < end)) || return 1
        sleep 0.1
    done
}
