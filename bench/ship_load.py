#!/usr/bin/env python3
"""Steady load for bench/ship.sh: RATE visits a second on each daemon, for SECONDS.

Each daemon gets one connection (JSON mode) and `visits.record KEY outcome=answered people=2`
every 1/RATE seconds (staggered), one request in flight at a time. Each acknowledged visit is
written as `community,seq,acked_at` (Unix seconds): the reply comes once the change is durable,
so acked_at is just after the commit the shipper's lag is measured from.
"""
import argparse
import json
import selectors
import socket
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--daemon", action="append", required=True, help="COMMUNITY=SOCKET (repeat)")
    p.add_argument("--keys", required=True, help="household ids, one per line")
    p.add_argument("--rate", type=float, default=5.0, help="visits a second per daemon")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    keys = [k.strip() for k in open(a.keys, encoding="utf-8") if k.strip()]
    sel = selectors.DefaultSelector()
    conns = []
    start = time.time() + 0.5
    for i, spec in enumerate(a.daemon):
        community, path = spec.split("=", 1)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(b"hello format=json client=ship-bench\n")
        f = s.makefile("rb")
        json.loads(f.readline())
        s.setblocking(False)
        c = {"community": community, "sock": s, "buf": b"", "busy": False, "n": i * 7919,
             "next": start + (i / len(a.daemon)) / a.rate}
        conns.append(c)
        sel.register(s, selectors.EVENT_READ, c)
    end = start + a.seconds
    acks, errors, sent = [], 0, 0
    with open(a.out, "w", encoding="utf-8") as out:
        while True:
            now = time.time()
            if now >= end and not any(c["busy"] for c in conns):
                break
            for c in conns:
                if not c["busy"] and now >= c["next"] and now < end:
                    key = keys[c["n"] % len(keys)]
                    c["n"] += 1
                    c["sock"].sendall(f"visits.record {key} outcome=answered people=2\n".encode())
                    c["busy"] = True
                    c["next"] += 1.0 / a.rate
                    sent += 1
            timeout = max(0.0, min([c["next"] for c in conns if not c["busy"]] + [now + 0.05]) - time.time())
            for key, _ in sel.select(timeout):
                c = key.data
                data = c["sock"].recv(65536)
                if not data:
                    sys.exit(f"{c['community']}: the daemon closed the connection")
                c["buf"] += data
                while b"\n" in c["buf"]:
                    line, c["buf"] = c["buf"].split(b"\n", 1)
                    t = time.time()
                    reply = json.loads(line)
                    if "event" in reply:
                        continue
                    c["busy"] = False
                    if reply.get("ok"):
                        out.write(f"{c['community']},{reply['data']['seq']},{t:.6f}\n")
                        acks.append(t)
                    else:
                        errors += 1
    print(f"sent {sent}, acknowledged {len(acks)}, refused {errors}", file=sys.stderr)
    if errors:
        sys.exit(1)


if __name__ == "__main__":
    main()
