# Tests/system/checks.sh: the checks of the system test, in the order run.sh runs them (each in
# a subshell with set -e; `fail` ends one; `note` lines are shown in the summary). Sourced by run.sh, which sets V1, V2, repo, bundle, work and the container.

SOCK=/run/doorstep.sock
UNIT=/lib/systemd/system/doorstep.service
CONF=/etc/doorstep/doorstep.toml

# The config the checks run with: roles for the test users, the probe plugin on.
base_config() {
    cat <<'EOF'
# Written by Tests/system.
[access.groups]
viewers = "viewer"
operators = "operator"

[plugins.probe]
enabled = true
greeting = "你好"
EOF
}

# set_config TEXT: replaces the config's contents (keeping the conffile's owner and mode).
set_config() { printf '%s\n' "$1" | ct sh -c "cat > $CONF"; }

main_pid() { show doorstep.service MainPID; }
# For wait_for, which runs its command again each time.
unit_is() { [[ $(ct systemctl is-active doorstep || true) == "$1" ]]; }
restarted_since() { (( $(show doorstep NRestarts) > $1 )); }
ctl() { ct doorstepctl "$@"; }

# A monotonic clock in milliseconds (the container's and the host's are the same).
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- the package ---------------------------------------------------------------------------

# lintian on the host: every tag it emits must be explained in docs/packaging.md.
check_lintian() {
    local deb=$work/debs/doorstep_${V1}_amd64.deb out tags explained unexplained=()
    out=$(lintian --info --pedantic --no-tag-display-limit "$deb" 2>&1 || true)
    printf '%s\n' "$out"
    tags=$(sed -n 's/^[EWIPX]: doorstep[^:]*: \([a-z0-9+.-]*\).*/\1/p' <<<"$out" | sort -u)
    explained=$(sed -n 's/^| `\([a-z0-9+.-]*\)` |.*/\1/p' "$repo/docs/packaging.md" | sort -u)
    local tag
    for tag in $tags; do grep -qx -- "$tag" <<<"$explained" || unexplained+=("$tag"); done
    [[ ${#unexplained[@]} -eq 0 ]] || fail "lintian tags not explained in docs/packaging.md: ${unexplained[*]}"
    note "lintian: $(wc -w <<<"$tags") tags, each explained in docs/packaging.md: $(echo $tags)"
}

# `apt install ./doorstep_…deb`: the user, the directories, the socket enabled and listening,
# the service not started, the units clean and the sandbox's exposure within 1.0.
check_install() {
    ct apt-get install -y --no-install-recommends "/debs/doorstep_${V1}_amd64.deb"
    expect_eq "$(ct dpkg-query -W -f='${Status} ${Version}' doorstep)" "install ok installed $V1" "dpkg status"
    expect_eq "$(ct getent passwd doorstep | cut -d: -f6,7)" "/var/lib/doorstep:/usr/sbin/nologin" "user doorstep"
    expect_eq "$(ct stat -c '%a %U %G' /etc/doorstep)" "750 root doorstep" "/etc/doorstep"
    expect_eq "$(ct stat -c '%a %U %G' $CONF)" "640 root doorstep" "the conffile"
    expect_eq "$(ct systemctl is-enabled doorstep.socket)" "enabled" "doorstep.socket enabled"
    expect_eq "$(ct systemctl is-active doorstep.socket)" "active" "doorstep.socket active"
    expect_eq "$(ct systemctl is-active doorstep.service || true)" "inactive" "doorstep.service not started"
    expect_eq "$(ct stat -c '%a %U %G %F' $SOCK)" "660 root doorstep socket" "the socket"
    local out
    out=$(ct systemd-analyze verify "$UNIT" /lib/systemd/system/doorstep.socket 2>&1) || fail "systemd-analyze verify: $out"
    [[ -z $out ]] || fail "systemd-analyze verify printed: $out"
    out=$(ct systemd-analyze security --offline=true --threshold=10 --no-pager "$UNIT" 2>&1) ||
        fail "systemd-analyze security --threshold=10: $(grep -E '✗|Overall' <<<"$out")"
    note "installed $V1; units verify cleanly (man pages found); $(grep -o 'Overall exposure level.*' <<<"$out")"
    # Kept for the checks that rewrite the config.
    ct cp -p $CONF /root/doorstep.toml.packaged
}

# man pages of all four sections, `man doorstepctl` in particular.
check_man() {
    local out page
    out=$(ct env MANWIDTH=80 man -P cat doorstepctl 2>&1) || fail "man doorstepctl: $out"
    expect_in "$out" "doorstepctl - talk to the Doorstep daemon" "man doorstepctl"
    expect_in "$out" "/run/doorstep.sock" "man doorstepctl"
    for page in "8 doorstepd" "5 doorstep.toml" "7 doorstep-protocol" "1 doorstepctl"; do
        ct man -w $page >/dev/null || fail "man -w $page"
    done
    out=$(ct env MANWIDTH=80 man -P cat 5 doorstep.toml)
    expect_in "$out" "debug_hang" "doorstep.toml(5) lists every key"
    note "man doorstepctl, doorstepd(8), doorstep.toml(5), doorstep-protocol(7) all render"
}

# ---- the units -----------------------------------------------------------------------------

# Socket activation: the service starts on the first connection, and shows its STATUS line.
check_activation() {
    expect_eq "$(ct systemctl is-active doorstep.socket)" "active" "socket"
    expect_eq "$(ct systemctl is-active doorstep.service || true)" "inactive" "service before the first connection"
    expect_eq "$(ctl ping)" "pong" "doorstepctl ping"
    expect_eq "$(ct systemctl is-active doorstep.service)" "active" "service after the first connection"
    local status
    status=$(ct systemctl status doorstep --no-pager || true)
    expect_in "$status" 'Status: "serving /run/doorstep.sock; plugins: roster, visits, supplies, reading-promotion, emergencies, hooks"' "systemctl status"
    expect_in "$status" "TriggeredBy:" "systemctl status"
    expect_in "$status" "doorstep.socket" "systemctl status"
    note "inactive until the first ping, then: $(grep -o 'Status: .*' <<<"$status")"
}

# Structured journal fields: DOORSTEP_*, MESSAGE_ID, and no runtime noise.
check_journal() {
    local all serving
    all=$(ct journalctl -o json -u doorstep --no-pager)
    serving=$(ct journalctl -o json --no-pager _SYSTEMD_UNIT=doorstep.service MESSAGE_ID=5d6a1c7e0f3b4c2a9e8d7f6b5a4c3d21)
    [[ -n $serving ]] || fail "no journal entry with MESSAGE_ID=5d6a1c7e0f3b4c2a9e8d7f6b5a4c3d21 (serving)"
    for field in '"MESSAGE":"serving"' '"DOORSTEP_SOCKET":"/run/doorstep.sock"' '"SYSLOG_IDENTIFIER":"doorstepd"' \
        '"DOORSTEP_LOGGER":"doorstepd"' '"PRIORITY":"6"' '"CODE_FILE":"' '"CODE_FUNC":"' '"_SYSTEMD_UNIT":"doorstep.service"'; do
        expect_in "$serving" "$field" "the serving entry"
    done
    expect_in "$all" '"DOORSTEP_RECORDS":"' "the 'state recovered' entry"
    expect_in "$all" '"DOORSTEP_FSYNC":"always"' "the 'state recovered' entry"
    note "journalctl -o json -u doorstep: MESSAGE_ID, DOORSTEP_SOCKET, DOORSTEP_RECORDS, DOORSTEP_FSYNC, CODE_*"
    # libdispatch's one line per start (doorstep.service explains it): never refused by the
    # system call filter (errno=1), at most one per process.
    local lines most
    lines=$(ct journalctl -u doorstep --no-pager -o short | grep 'Failed to set thread priority' || true)
    ! grep -q 'errno=1$' <<<"$lines" || fail "libdispatch's setpriority refused by the system call filter (errno=1): $lines"
    most=$(awk '{print $5}' <<<"$lines" | sort | uniq -c | sort -rn | awk 'NR == 1 {print $1}')
    (( ${most:-0} <= 1 )) || fail "libdispatch logged $most 'Failed to set thread priority' lines in one process: $lines"
    note "libdispatch's 'Failed to set thread priority' (see doorstep.service): ${most:-0} line per process"
}

# Roles through the real socket: 0660 root:doorstep; a viewer reads and cannot write; a user
# in no group cannot connect; a member of group doorstep without a role is refused.
check_roles() {
    expect_eq "$(ct stat -c '%a %U %G' $SOCK)" "660 root doorstep" "socket mode and owner"
    ct groupadd -f viewers
    ct groupadd -f operators
    ct useradd -M -G doorstep,viewers wangfang
    ct useradd -M -G doorstep,operators liming
    ct useradd -M -G doorstep zhaolei
    ct useradd -M loner
    set_config "$(base_config)"
    ct systemctl reload doorstep
    local out rc
    out=$(as wangfang doorstepctl --json hello)
    expect_in "$out" '"role":"viewer"' "wangfang (viewers) is a viewer"
    as wangfang doorstepctl status >/dev/null || fail "a viewer may read status"
    rc=0; out=$(as wangfang doorstepctl roster.household.add 9-9-909 2>&1) || rc=$?
    expect_eq "$rc" 1 "a viewer writing: exit status"
    expect_in "$out" "403 forbidden: roster.household.add needs role operator; uid $(ct id -u wangfang) (wangfang) has viewer" "a viewer writing"
    out=$(as liming doorstepctl roster.household.add 9-9-909)
    expect_in "$out" "9-9-909" "an operator writes"
    out=$(as wangfang doorstepctl roster.household 9-9-909)
    expect_in "$out" "9-9-909" "the viewer reads what the operator wrote"
    rc=0; out=$(as loner doorstepctl ping 2>&1) || rc=$?
    expect_eq "$rc" 69 "a user in no group: exit status"
    expect_in "$out" "Permission denied" "a user in no group"
    rc=0; out=$(as zhaolei doorstepctl ping 2>&1) || rc=$?
    expect_eq "$rc" 1 "group doorstep without a role: exit status"
    expect_in "$out" "403 forbidden: uid $(ct id -u zhaolei) (zhaolei) has no role on this daemon" "group doorstep without a role"
    out=$(ct journalctl -o json --no-pager _SYSTEMD_UNIT=doorstep.service MESSAGE_ID=c4f1a2b3d4e5f60718293a4b5c6d7e8f)
    expect_in "$out" "\"DOORSTEP_UID\":\"$(ct id -u wangfang)\"" "the refusal is in the journal"
    # The audit trail's journald copy (docs/protocol.md §6): the operator's change and the viewer's 403.
    out=$(ct journalctl -o json --no-pager _SYSTEMD_UNIT=doorstep.service DOORSTEP_AUDIT=1 DOORSTEP_COMMAND=roster.household.add)
    expect_in "$out" "\"DOORSTEP_UID\":\"$(ct id -u liming)\"" "the operator's change in the journal with DOORSTEP_AUDIT=1"
    expect_in "$out" '"DOORSTEP_CODE":"403"' "the viewer's refused change in the journal with DOORSTEP_AUDIT=1"
    note "socket 660 root:doorstep; viewer reads, write → 403; no group → EACCES (69); no role → 403"
}

# systemctl reload: waits for the reload's end and applies a valid config; a broken config
# leaves the daemon running on the old one and the status line and journal say why.
check_reload() {
    local pid t0 t1 states out status
    ctl ping >/dev/null
    pid=$(main_pid)
    set_config "$(base_config | sed 's/^greeting = .*/greeting = "春天见"\nreload_delay_ms = 1500/')"
    # Watch the unit's state while the reload runs.
    ct sh -c 'for i in $(seq 30); do systemctl show -p ActiveState --value doorstep; sleep 0.05; done' >"$CT_LOG/reload-states" &
    t0=$(now_ms)
    ct systemctl reload doorstep
    t1=$(now_ms)
    wait
    states=$(sort -u "$CT_LOG/reload-states" | tr '\n' ' ')
    (( t1 - t0 >= 1400 )) || fail "systemctl reload returned after $((t1 - t0)) ms, before the reload's 1500 ms were over"
    expect_in "$states" "reloading" "ActiveState during the reload"
    expect_in "$(ctl probe.config)" "greeting: 春天见" "the new config right after systemctl reload"
    expect_eq "$(main_pid)" "$pid" "reloaded in place"
    note "systemctl reload took $((t1 - t0)) ms (the reload takes 1500 ms); states seen: $states"

    set_config "$(base_config | sed 's/^greeting = .*/greeting = 42/')"
    ct systemctl reload doorstep || fail "systemctl reload of a broken config failed (the daemon should keep running)"
    expect_eq "$(ct systemctl is-active doorstep)" "active" "after a broken config"
    expect_eq "$(main_pid)" "$pid" "after a broken config"
    expect_in "$(ctl probe.config)" "greeting: 春天见" "the old config keeps running"
    status=$(ct systemctl status doorstep --no-pager || true)
    expect_in "$status" "last reload failed: $CONF:" "systemctl status"
    expect_in "$status" "greeting: expected a string" "systemctl status"
    out=$(ct journalctl -o json --no-pager _SYSTEMD_UNIT=doorstep.service MESSAGE_ID=8b1f2e3d4c5a69788796a5b4c3d2e1f0)
    expect_in "$out" "reload refused: invalid config; the old config keeps running" "the journal"
    expect_in "$out" "greeting: expected a string" "the journal's DOORSTEP_ERROR"
    note "broken config: still active, same PID; $(grep -o 'Status: .*' <<<"$status")"

    set_config "$(base_config)"
    ct systemctl reload doorstep
    expect_not_in "$(show doorstep StatusText)" "last reload failed" "status after a good reload"
}

# Type=notify: with a million journal records to replay, the unit stays "activating" (status
# "replaying the journal") and a connection waits, until READY=1; only then is it active.
check_notify() {
    set_config "$(base_config)
[daemon]
state_dir = \"big\"
fsync = \"off\"
snapshot_every_events = 100000000
snapshot_every_bytes = 68719476736"
    ct systemctl restart doorstep
    local t0 t1 seq
    t0=$(now_ms)
    # Four pipelined connections of 250,000 each.
    ct sh -c 'for i in 0 1 2 3; do
                  seq $((i * 250000 + 1)) $(((i + 1) * 250000)) | sed "s/.*/probe.set k& v&/" | doorstepctl --timeout 0 >/dev/null &
              done; wait'
    t1=$(now_ms)
    seq=$(ctl --json state.status | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
    (( seq >= 1000000 )) || fail "the journal holds $seq events, expected 1,000,000"
    note "wrote 1,000,000 records in $(( (t1 - t0) / 1000 )) s"
    # Each of those changes also went to journald as an audit entry (DOORSTEP_AUDIT=1), far
    # past journald's rate limit (10,000 a unit in 30 s): it drops the unit's messages until
    # the interval ends, and would drop the 'state recovered' entry this check looks for.
    # The audit file has every record; wait the interval out.
    sleep 31
    ct systemctl stop doorstep
    ct systemctl start --no-block doorstep.service
    local seen=() i state text pair
    rm -f "$CT_LOG/early-ping"
    for i in $(seq 600); do
        # Both in one call, so they belong together.
        pair=$(ct systemctl show -p ActiveState -p StatusText doorstep | sort | tr '\n' ' ')
        state=$(sed -n 's/.*ActiveState=\([a-z]*\).*/\1/p' <<<"$pair")
        text=$(sed -n 's/.*StatusText=\(.*\) $/\1/p' <<<"$pair")
        [[ " ${seen[*]} " == *" $state:$text "* ]] || seen+=("$state:$text")
        if [[ $state == activating && ! -e $CT_LOG/early-ping ]]; then
            # A client now waits in the socket's backlog until the daemon serves.
            ct sh -c 'doorstepctl ping' >"$CT_LOG/early-ping" 2>&1 &
        fi
        [[ $state == active ]] && break
        sleep 0.05
    done
    wait
    printf 'seen: %s\n' "${seen[@]}"
    expect_eq "$state" "active" "the unit at last"
    expect_in "${seen[*]}" "activating:replaying the journal" "ActiveState and StatusText while replaying"
    [[ -e $CT_LOG/early-ping ]] || fail "never saw the unit activating"
    expect_eq "$(head -n 1 "$CT_LOG/early-ping")" "pong" "a connection made while activating is answered"
    local exec_ms active_ms replay_ms ping_ns
    exec_ms=$(( $(show doorstep ExecMainStartTimestampMonotonic) / 1000 ))
    active_ms=$(( $(show doorstep ActiveEnterTimestampMonotonic) / 1000 ))
    replay_ms=$(ct journalctl -o json --no-pager _SYSTEMD_UNIT=doorstep.service _PID="$(main_pid)" MESSAGE="state recovered" |
        sed -n 's/.*"DOORSTEP_MS":"\([0-9]*\)".*/\1/p' | tail -n 1)
    [[ -n $replay_ms ]] || fail "no 'state recovered' entry with DOORSTEP_MS"
    (( replay_ms >= 200 )) || fail "replaying 1,000,000 records took only $replay_ms ms: start-up not visible"
    (( active_ms - exec_ms >= replay_ms )) ||
        fail "active $((active_ms - exec_ms)) ms after the start, before the replay's $replay_ms ms were over"
    note "activating for $((active_ms - exec_ms)) ms ('replaying the journal'; replay $replay_ms ms), then active; a ping made meanwhile waited"
    set_config "$(base_config)"
    ct systemctl restart doorstep
    ct rm -rf /var/lib/doorstep/big
}

# The watchdog: debug.hang (absent unless enabled, admin only) blocks the event loop that
# pings; systemd kills the daemon (watchdog) and Restart=on-failure starts it again.
check_watchdog() {
    local out rc pid restarts i
    rc=0; out=$(ctl debug.hang 2>&1) || rc=$?
    expect_eq "$rc" 1 "debug.hang while disabled: exit status"
    expect_in "$out" "405 unknown_command: unknown command 'debug.hang'" "debug.hang while disabled"
    expect_not_in "$(ctl help)" "debug.hang" "help while disabled"
    set_config "$(base_config)
[daemon]
debug_hang = true"
    ct systemctl reload doorstep
    expect_in "$(ctl help)" "debug.hang" "help once enabled"
    rc=0; out=$(as wangfang doorstepctl debug.hang 2>&1) || rc=$?
    expect_in "$out" "403 forbidden: debug.hang needs role admin" "a viewer asking for debug.hang"
    pid=$(main_pid)
    restarts=$(show doorstep NRestarts)
    out=$(ctl debug.hang)
    expect_in "$out" "hanging the watchdog's event loop until the daemon is killed" "debug.hang"
    note "debug.hang answered: $out"
    # WatchdogSec=30s: killed within 30 s of the last ping, then restarted.
    wait_for 60 restarted_since "$restarts" && wait_for 10 unit_is active || true
    [[ $(show doorstep NRestarts) -gt $restarts ]] || fail "not restarted within 60 s"
    out=$(ct journalctl --no-pager -u doorstep _PID=1 -n 30)
    expect_in "$out" "doorstep.service: Watchdog timeout" "systemd's journal"
    expect_in "$out" "doorstep.service: Failed with result 'watchdog'." "systemd's journal"
    [[ $(main_pid) != "$pid" ]] || fail "same PID after the watchdog"
    expect_eq "$(ctl ping)" "pong" "the restarted daemon"
    note "debug.hang absent until enabled, admin only; $(grep -o "Watchdog timeout.*" <<<"$out" | head -n 1); Result=watchdog; restarted (NRestarts $restarts → $(show doorstep NRestarts))"
    set_config "$(base_config)"
    ct systemctl reload doorstep
}

# A clean stop: STOPPING=1 reaches systemd, requests in flight are answered, exit 0, and the
# next connection starts the daemon again.
check_stop() {
    local pid restarts states
    ctl ping >/dev/null
    pid=$(main_pid)
    restarts=$(show doorstep NRestarts)
    ct sh -c 'doorstepctl probe.sleep ms=2500 > /root/slow.out 2>&1' &
    sleep 0.5
    # SIGTERM by itself (not systemctl stop): only STOPPING=1 tells systemd the daemon is stopping.
    ct kill -TERM "$pid"
    ct sh -c 'for i in $(seq 20); do systemctl show -p ActiveState --value doorstep; sleep 0.05; done' >"$CT_LOG/stop-states"
    states=$(sort -u "$CT_LOG/stop-states" | tr '\n' ' ')
    expect_in "$states" "deactivating" "ActiveState after SIGTERM (STOPPING=1)"
    wait
    expect_in "$(ct cat /root/slow.out)" "slept" "the request in flight"
    wait_for 20 unit_is inactive || fail "not inactive after SIGTERM"
    expect_eq "$(show doorstep ExecMainCode)/$(show doorstep ExecMainStatus)" "1/0" "exited with status 0"
    expect_eq "$(show doorstep Result)" "success" "Result"
    expect_eq "$(show doorstep NRestarts)" "$restarts" "not restarted after a clean exit"
    expect_eq "$(ctl ping)" "pong" "the next connection"
    [[ $(main_pid) != "$pid" ]] || fail "same PID"
    # systemctl stop: exit status 0 of the command and of the daemon.
    pid=$(main_pid)
    ct systemctl stop doorstep || fail "systemctl stop failed"
    expect_eq "$(show doorstep ExecMainCode)/$(show doorstep ExecMainStatus)" "1/0" "exit after systemctl stop"
    expect_eq "$(show doorstep Result)" "success" "Result after systemctl stop"
    out=$(ct journalctl -o json --no-pager _SYSTEMD_UNIT=doorstep.service _PID="$pid" MESSAGE_ID=2e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b)
    expect_in "$out" "stopping: no new connections" "the daemon's stopping entry"
    expect_eq "$(ct systemctl is-active doorstep.socket)" "active" "the socket stays"
    expect_eq "$(ctl ping)" "pong" "the next connection after systemctl stop"
    note "SIGTERM: deactivating at once (STOPPING=1), request in flight answered, exit 0, not restarted; systemctl stop: exit 0; next ping starts it"
}

# The state survives systemctl restart and a kill -9 of the main process (which systemd
# restarts: Restart=on-failure).
check_state() {
    local csv before after pid restarts
    csv=$(printf '楼栋,单元,房号,姓名,电话\n7,1,101,王建国,13812345678\n7,1,102,李秀英,13900001111\n')
    printf '%s\n' "$csv" | ct sh -c 'cat > /root/roster.csv'
    ctl --data /root/roster.csv roster.import format=csv >/dev/null
    before=$(ctl roster.household 7-1-101)
    expect_in "$before" "王建国" "imported"
    ct systemctl restart doorstep
    expect_eq "$(ctl roster.household 7-1-101)" "$before" "after systemctl restart"
    ctl roster.resident.add 7-1-102 name=张志强 >/dev/null
    pid=$(main_pid)
    restarts=$(show doorstep NRestarts)
    ct kill -KILL "$pid"
    wait_for 30 restarted_since "$restarts" || fail "not restarted after kill -9"
    wait_for 30 unit_is active || fail "not active after kill -9"
    after=$(ctl roster.household 7-1-102)
    expect_in "$after" "张志强" "a write acknowledged just before kill -9"
    expect_in "$(ct journalctl --no-pager -u doorstep _PID=1 -n 20)" "Main process exited, code=killed, status=9/KILL" "systemd saw the kill"
    [[ $(main_pid) != "$pid" ]] || fail "same PID after kill -9"
    note "state kept across systemctl restart and kill -9 (restarted by systemd: NRestarts $restarts → $(show doorstep NRestarts))"
}

# A hook runs as a child of the daemon, under the same sandbox.
check_hooks() {
    ct install -d /usr/local/lib/doorstep-test
    ct sh -c 'cat > /usr/local/lib/doorstep-test/sandbox-probe.sh' <<'EOF'
#!/bin/sh
# A [[hooks]] program of the system test: records what it may do.
{
    echo "event=$1 user=$(id -un)"
    grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/self/status | tr -s '\t ' ' '
    echo "net=$(ls /sys/class/net | tr '\n' ' ')"
    if touch /etc/doorstep-hook 2>/dev/null; then echo "etc=writable"; else echo "etc=read-only"; fi
    if echo x > /var/lib/doorstep/hook-wrote 2>/dev/null; then echo "state=writable"; fi
} > /var/lib/doorstep/hook-sandbox.txt
echo probed
EOF
    ct chmod 0755 /usr/local/lib/doorstep-test/sandbox-probe.sh
    set_config "$(base_config)

[[hooks]]
name = \"sandbox-probe\"
on = \"probe.page\"
run = [\"/usr/local/lib/doorstep-test/sandbox-probe.sh\", \"{name}\"]
timeout = \"10s\""
    ct systemctl reload doorstep
    ctl probe.publish page text=x >/dev/null
    # Its last line, not only its first: the file is written line by line.
    wait_for 20 ct grep -q '^etc=' /var/lib/doorstep/hook-sandbox.txt || fail "the hook did not run: $(ctl hooks.runs 2>&1)"
    sleep 1  # the state= line after it
    local out
    out=$(ct cat /var/lib/doorstep/hook-sandbox.txt)
    printf '%s\n' "$out"
    expect_in "$out" "event=probe.page user=doorstep" "the hook's user"
    expect_in "$out" "NoNewPrivs: 1" "the hook's NoNewPrivileges="
    expect_in "$out" "Seccomp: 2" "the hook's system call filter"
    expect_in "$out" "CapEff: 0000000000000000" "the hook's capabilities"
    expect_in "$out" "net=lo " "the hook's network (PrivateNetwork=)"
    expect_in "$out" "etc=read-only" "the hook's /etc (ProtectSystem=strict)"
    expect_in "$out" "state=writable" "the hook's state directory"
    hook_ok() { ctl hooks.list | grep -q ' ok '; }
    wait_for 10 hook_ok || fail "hooks.list: $(ctl hooks.list)"
    note "hook ran as doorstep: no new privileges, seccomp, no capabilities, only lo, /etc read-only"
    set_config "$(base_config)"
    ct systemctl reload doorstep
}

# The integration suite's protocol checks, each daemon a transient unit with the installed
# unit's sandbox (Tests/IntegrationTests/Support/SystemdUnit.swift). A test that fails is run
# once more on its own: if it passes then, the check passes with a FLAKY note naming it (the
# timing-bound hardening tests of issue 13 are; docs in Tests/system/README.md).
suite() { # LOG [--filter REGEX]
    local log=$1
    shift
    ct env HOME=/root DOORSTEP_TEST_UNIT=$UNIT DOORSTEP_TEST_TMPDIR=/var/lib/doorstep-it DOORSTEP_BIN_DIR=/usr/bin \
        "$bundle" --testing-library swift-testing "$@" >"$log" 2>&1
}
check_integration() {
    ct install -d -o doorstep -g doorstep -m 0755 /var/lib/doorstep-it
    local rc=0 log=$CT_LOG/integration-output.log last failed retry=""
    suite "$log" --filter IntegrationTests || rc=$?
    last=$(grep -a -E 'Test run with [0-9]+ tests' "$log" | tail -n 1)
    if [[ $rc -ne 0 ]]; then
        grep -a -E '✘' "$log" | head -n 60 || true
        failed=$(sed -n 's/^✘ Test \([A-Za-z0-9_]*\)(.*) failed after.*/\1/p' "$log" | sort -u | paste -sd '|')
        [[ -n $failed ]] || fail "the integration suite failed (exit $rc): $last (log: $log)"
        echo "run again on their own: $failed"
        rc=0
        suite "$CT_LOG/integration-retry.log" --filter "IntegrationTests.*($failed)" || rc=$?
        grep -a -E '✘|Test run with' "$CT_LOG/integration-retry.log" | head -n 40 || true
        [[ $rc -eq 0 ]] || fail "the integration suite failed, and again on its own: $failed (logs: $log, $CT_LOG/integration-retry.log)"
        retry="; FLAKY (failed, then passed on their own): ${failed//|/, }"
    fi
    note "integration suite under the packaged sandbox: ${retry:+first run: }${last#*Test run with }$retry"
    note "left out there: $(grep -a -c -E '^➜ Test .* skipped' "$log" || true) tests (notify and socket-activation stand-ins, strace fault injection, loop devices)"
    [[ -z $(ct sh -c 'ls /run/systemd/transient | grep doorstep-it' || true) ]] || fail "transient units left behind: $(ct ls /run/systemd/transient)"
}

# The same version installed again: the running daemon is restarted on it, state and config kept.
check_reinstall() {
    local pid state
    ctl ping >/dev/null
    pid=$(main_pid)
    state=$(ctl roster.household 7-1-102)
    ct apt-get install -y --reinstall "/debs/doorstep_${V1}_amd64.deb"
    expect_eq "$(ct dpkg-query -W -f='${Version}' doorstep)" "$V1" "version"
    expect_eq "$(ct systemctl is-active doorstep)" "active" "a running daemon after the reinstall"
    [[ $(main_pid) != "$pid" ]] || fail "the running daemon was not restarted on the reinstalled binary"
    expect_eq "$(ctl roster.household 7-1-102)" "$state" "state after the reinstall"
    expect_in "$(ct cat $CONF)" "Written by Tests/system" "the changed conffile is kept"
    expect_eq "$(ct systemctl is-enabled doorstep.socket)" "enabled" "socket"
    note "same version again: daemon restarted (PID $pid → $(main_pid)), state and config kept"
}

# The rebuilt package (a newer revision): an upgrade keeps the state and the admin's config;
# an admin's `systemctl disable doorstep.socket` survives an upgrade.
check_upgrade() {
    local pid state
    ctl ping >/dev/null
    pid=$(main_pid)
    state=$(ctl roster.household 7-1-102)
    ct apt-get install -y -o Dpkg::Options::=--force-confold "/debs/doorstep_${V2}_amd64.deb"
    expect_eq "$(ct dpkg-query -W -f='${Version}' doorstep)" "$V2" "version after the upgrade"
    expect_eq "$(ct systemctl is-active doorstep)" "active" "the daemon after the upgrade"
    [[ $(main_pid) != "$pid" ]] || fail "not restarted on the new binary"
    expect_eq "$(ctl roster.household 7-1-102)" "$state" "state after the upgrade"
    expect_in "$(ct cat $CONF)" "Written by Tests/system" "the changed conffile is kept"
    [[ -z $(ct find /etc/doorstep -name '*.dpkg-*') ]] || fail "dpkg left $(ct find /etc/doorstep -name '*.dpkg-*')"
    expect_eq "$(ct stat -c '%a %U %G' $CONF)" "640 root doorstep" "the conffile's mode after the upgrade"
    # Upgrading a daemon the admin stopped and disabled leaves it so.
    ct systemctl disable --now doorstep.socket doorstep.service
    ct apt-get install -y --reinstall -o Dpkg::Options::=--force-confold "/debs/doorstep_${V2}_amd64.deb"
    expect_eq "$(ct systemctl is-enabled doorstep.socket || true)" "disabled" "a disabled socket after an upgrade"
    expect_eq "$(ct systemctl is-active doorstep.socket || true)" "inactive" "a stopped socket after an upgrade"
    ct systemctl enable --now doorstep.socket
    expect_eq "$(ctl roster.household 7-1-102)" "$state" "state"
    note "upgrade $V1 → $V2: restarted, state and changed conffile kept; a disabled socket stays disabled"
}

# Remove keeps state and config; purge removes everything but the user; a new install after
# the purge starts empty.
check_purge() {
    ct apt-get remove -y doorstep
    expect_eq "$(ct dpkg-query -W -f='${Status}' doorstep)" "deinstall ok config-files" "after remove"
    expect_eq "$(ct systemctl is-active doorstep.socket doorstep.service | sort -u | tr '\n' ' ')" "inactive " "units after remove"
    ct test ! -e $SOCK || fail "the socket file is left after remove"
    ct test -d /var/lib/doorstep || fail "remove deleted the state"
    ct test -f $CONF || fail "remove deleted the conffile"
    ct apt-get purge -y doorstep
    expect_eq "$(ct dpkg-query -W -f='${db:Status-Abbrev}' doorstep 2>/dev/null || echo gone)" "gone" "after purge"
    local left
    left=$(ct sh -c 'ls -d /var/lib/doorstep /etc/doorstep /run/doorstep /run/doorstep.sock /lib/systemd/system/doorstep.* \
        /etc/systemd/system/doorstep.* /etc/systemd/system/*/doorstep.* /var/lib/systemd/deb-systemd-helper-*/doorstep* \
        /var/lib/systemd/deb-systemd-helper-*/*/doorstep* /usr/bin/doorstep* /usr/share/doc/doorstep 2>/dev/null' || true)
    [[ -z $left ]] || fail "purge left: $left"
    ct systemctl daemon-reload
    [[ -z $(ct systemctl list-units --all --no-legend 'doorstep*') ]] || fail "units still loaded: $(ct systemctl list-units --all 'doorstep*')"
    [[ -z $(ct pgrep -u doorstep || true) ]] || fail "processes of user doorstep are left"
    ct getent passwd doorstep >/dev/null || fail "the user doorstep was removed (Debian leaves system users)"
    # And from scratch again.
    ct apt-get install -y "/debs/doorstep_${V2}_amd64.deb"
    expect_eq "$(ctl ping)" "pong" "a new install after the purge"
    expect_in "$(ctl roster.household 7-1-102 2>&1 || true)" "404 not_found" "the state is gone after the purge"
    note "remove keeps state and conffile; purge leaves nothing but the user; reinstalled from scratch"
}
