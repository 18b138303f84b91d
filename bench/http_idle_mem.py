#!/usr/bin/python3
"""bench/http_idle_mem.py -- server memory per held HTTP connection, by the state it is held in.

Usage: http_idle_mem.py --pid PID --port P [--n 10000] [--mode keepalive|partial|silent]
                        [--path /128.bin] [--reps 1] [--warm 1024]
After --warm requests on one connection (first-use costs), opens N loopback connections to a running server (PID: its process, for VmRSS) and brings
each into one state, then reads the server's RSS again and prints the difference per
connection; then closes them and waits for the RSS to settle before the next repetition.
  keepalive: one GET with keep-alive, full response read (idle keep-alive connection)
  partial  : the first 40 bytes of a request head, never finished (a slow client)
  silent   : connected, nothing sent
Prints one line per repetition:
  MEM mode=<m> conns=<n> failed=<k> rss_before_kb=.. rss_after_kb=.. bytes_per_conn=..
Process memory only (the kernel's socket memory is not in RSS). Run it pinned to the
other CPU than the server (taskset -c 1), with the server's header timeout longer than
the time the N connections take to open (the default 10 s is enough for 10,000 here).
"""
import argparse
import resource
import socket
import sys
import time

HEAD = b"GET /128.bin HTTP/1.1\r\nHost: bench\r\nUser-Agent: slow-client/1.0\r\nAccept: */*\r\n\r\n"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def read_response(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise ConnectionError("closed")
        buf += d
    head, _, body = buf.partition(b"\r\n\r\n")
    clen = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            clen = int(v.strip())
    while len(body) < clen:
        d = s.recv(65536)
        if not d:
            raise ConnectionError("closed")
        body += d
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(head.split(b"\r\n")[0].decode(errors="replace"))


def warm_up(a, req):
    # Requests over one connection: the server's receive buffers (io_uring's provided-buffer
    # ring, 256 x 4 KiB per shard) are touched once, so that their first use is not counted
    # per connection.
    # A server may close a keep-alive connection after so many requests (nginx: 1,000).
    done = 0
    while done < a.warm:
        with socket.create_connection(("127.0.0.1", a.port), timeout=5) as s:
            try:
                while done < a.warm:
                    s.sendall(req)
                    read_response(s)
                    done += 1
            except (ConnectionError, BrokenPipeError):
                pass


def one_rep(a, req):
    warm_up(a, req)
    time.sleep(0.5)
    before = rss_kb(a.pid)
    socks, failed = [], 0
    for _ in range(a.n):
        try:
            s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
            if a.mode == "keepalive":
                s.sendall(req)
                read_response(s)
            elif a.mode == "partial":
                s.sendall(req[:40])
            socks.append(s)
        except OSError as e:
            failed += 1
            if failed == 1:
                print(f"first failure: {e}", file=sys.stderr)
    time.sleep(1)  # the server reads the last partial heads
    after = rss_kb(a.pid)
    n = len(socks)
    print(f"MEM mode={a.mode} conns={n} failed={failed} rss_before_kb={before} rss_after_kb={after} "
          f"bytes_per_conn={(after - before) * 1024 / n if n else 0:.0f}", flush=True)
    for s in socks:
        s.close()
    time.sleep(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--mode", choices=["keepalive", "partial", "silent"], default="keepalive")
    ap.add_argument("--path", default="/128.bin")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--warm", type=int, default=1024, help="requests before the first RSS reading")
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, a.n + 64)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    req = HEAD.replace(b"/128.bin", a.path.encode())
    for _ in range(a.reps):
        one_rep(a, req)


if __name__ == "__main__":
    main()
