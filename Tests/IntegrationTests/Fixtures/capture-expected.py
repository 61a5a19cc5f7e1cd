#!/usr/bin/env python3
"""Prints an expected-answers file for a state fixture, as the release in BIN_DIR answers.

    capture-expected.py FIXTURE_DIR COMMANDS [BIN_DIR] > FIXTURE.expected

COMMANDS is a file with one request per line, or an existing .expected file (its `> ` lines
are used). The daemon is started on a fresh copy of FIXTURE_DIR (the fixture is never
touched), with the probe plugin enabled; each request is sent with `doorstepctl --json` (the
request is split on spaces into arguments, so no argument may contain a space) and must
succeed. Format: see README.md.
"""
import os, re, shutil, subprocess, sys, tempfile, time

fixture, commands = sys.argv[1], sys.argv[2]
BIN = sys.argv[3] if len(sys.argv) > 3 else "/work/base-bin"
VOLATILE = re.compile(r'"age_hours":-?[0-9]+')  # supplies: hours since a request was opened, from the clock


def requests(path):
    lines = [l.rstrip("\n") for l in open(path, encoding="utf-8")]
    if any(l.startswith("> ") for l in lines):
        return [l[2:] for l in lines if l.startswith("> ")]
    return [l for l in lines if l.strip() and not l.startswith("#")]


def main():
    tmp = tempfile.mkdtemp(prefix="doorstep-capture-")
    state, sock, config = (os.path.join(tmp, n) for n in ("state", "d.sock", "doorstep.toml"))
    shutil.copytree(fixture, state)
    with open(config, "w") as f:
        f.write("[plugins.probe]\nenabled = true\n")
    ctl = [f"{BIN}/doorstepctl", "--socket", sock]
    daemon = subprocess.Popen([f"{BIN}/doorstepd", "--config", config, "--socket", sock, "--state-dir", state],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "stderr.log"), "w"))
    try:
        for _ in range(200):
            if os.path.exists(sock) and subprocess.run(ctl + ["ping"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        blocks = []
        for request in requests(commands):
            r = subprocess.run(ctl + ["--json"] + request.split(" "), capture_output=True, text=True)
            if r.returncode != 0 or r.stdout.count("\n") != 1:
                sys.exit(f"{request}: exit {r.returncode}: {r.stdout} {r.stderr}")
            reply = VOLATILE.sub('"age_hours":"*"', r.stdout.rstrip("\n"))
            blocks.append(f"> {request}\n{reply}\n")
        version = subprocess.run([f"{BIN}/doorstepd", "--version"], capture_output=True, text=True).stdout.strip()
        sys.stdout.write(f"# Expected answers for state-wave1/, captured from {version} (see README.md).\n"
                         "# Blocks: '> REQUEST' then its exact JSON reply line; '\"age_hours\":\"*\"' masks a clock-dependent value.\n\n")
        sys.stdout.write("\n".join(blocks))
    finally:
        daemon.terminate()
        daemon.wait(20)
        shutil.rmtree(tmp)


main()
