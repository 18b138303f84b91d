#!/usr/bin/env python3
"""QoS 1 publish rate into a persistent session, persistence on vs off (issue 12).

    bench/mqtt_persist_bench.py                      # zproto off / on (fsync) / on (no fsync), mosquitto
    N=50000 WINDOW=100 REPS=3 bench/mqtt_persist_bench.py

One offline persistent session (clean session 0) is subscribed to the topic, so every
message is queued to it: with persistence on, zproto logs each one and sends its PUBACK only
after the batch holding it is fdatasync'ed. One publisher keeps WINDOW QoS 1 PUBLISHes (64 B
payloads) in flight and counts PUBACKs per second. Each broker runs on one shard pinned to
CPU 0, the publisher on CPU 1. mosquitto runs with `persistence true`: it writes its database
only every `autosave_interval` seconds and at exit, never fsyncs per message, so its rate is
a reference, not a like-for-like. Prints RESULT lines and the medians.
"""
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ZPROTO = os.environ.get("ZPROTO", os.path.join(ROOT, "build/release/tools/zproto"))
N = int(os.environ.get("N", "50000"))
WINDOW = int(os.environ.get("WINDOW", "100"))
REPS = int(os.environ.get("REPS", "3"))
PAYLOAD = b"x" * 64


def s16(b):
    return struct.pack("!H", len(b)) + b


def varint(n):
    out = b""
    while True:
        d = n % 128
        n //= 128
        out += bytes([d | (0x80 if n else 0)])
        if not n:
            return out


def packet(first, body):
    return bytes([first]) + varint(len(body)) + body


def connect(cid, clean):
    flags = 0x02 if clean else 0
    return packet(0x10, s16(b"MQTT") + bytes([4, flags]) + struct.pack("!H", 60) + s16(cid))


def read_packet(sock, buf):
    while True:
        if len(buf) >= 2:
            mult, n, i = 1, 0, 1
            while i < len(buf):
                b = buf[i]
                n += (b & 0x7F) * mult
                mult *= 128
                i += 1
                if not b & 0x80:
                    break
            else:
                i = None
            if i is not None and len(buf) >= i + n:
                p = bytes(buf[: i + n])
                del buf[: i + n]
                return p
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf.extend(chunk)


def open_client(port, cid, clean):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(connect(cid, clean))
    buf = bytearray()
    ack = read_packet(s, buf)
    if ack[0] != 0x20 or ack[3] != 0:
        raise RuntimeError("CONNACK refused: %r" % ack)
    return s, buf


def park_session(port, topic):
    s, buf = open_client(port, b"bench-keeper", False)
    s.sendall(packet(0x82, struct.pack("!H", 1) + s16(topic) + bytes([1])))
    read_packet(s, buf)  # SUBACK
    s.sendall(b"\xe0\x00")  # DISCONNECT
    s.close()


def publish_run(port, topic):
    s, buf = open_client(port, b"bench-pub", True)
    pubs = [packet(0x32, s16(topic) + struct.pack("!H", (i % 65535) + 1) + PAYLOAD) for i in range(N)]
    sent = acked = 0
    t0 = time.monotonic()
    while acked < N:
        if sent < N and sent - acked < WINDOW:
            k = min(N - sent, WINDOW - (sent - acked))
            s.sendall(b"".join(pubs[sent : sent + k]))
            sent += k
        p = read_packet(s, buf)
        if p[0] == 0x40:
            acked += 1
    dt = time.monotonic() - t0
    s.close()
    return N / dt


def wait_port(port, proc):
    for _ in range(500):
        if proc.poll() is not None:
            raise RuntimeError("broker exited")
        try:
            socket.create_connection(("127.0.0.1", port)).close()
            return
        except OSError:
            time.sleep(0.01)
    raise RuntimeError("broker never listened")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run_peer(name, make_cmd):
    tmp = tempfile.mkdtemp(prefix="zp-mqtt-persist-bench.")
    port = free_port()
    cmd = make_cmd(tmp, port)
    proc = subprocess.Popen(["taskset", "-c", "0"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        park_session(port, b"bench/t")
        rate = publish_run(port, b"bench/t")
        return rate
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(tmp, ignore_errors=True)


def zproto(persist, fsync):
    def make(tmp, port):
        cfg = {"listen": ["127.0.0.1:%d" % port], "max_queued_messages": N + 1000}
        if persist:
            cfg["persistence"] = {"dir": tmp + "/store", "fsync": fsync}
        import json
        path = tmp + "/zproto.json"
        with open(path, "w") as f:
            json.dump({"mqtt": cfg}, f)
        return [ZPROTO, "serve", "--config", path, "--shards", "1", "--log-level", "warn"]
    return make


def mosquitto(tmp, port):
    path = tmp + "/mosquitto.conf"
    with open(path, "w") as f:
        f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location %s/\n"
                "max_queued_messages 0\nmax_inflight_messages 0\n" % (port, tmp))
    return [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", path]


def main():
    if not os.access(ZPROTO, os.X_OK):
        sys.exit("mqtt_persist_bench.py: build %s first (cmake --build --preset release --target zproto)" % ZPROTO)
    peers = [
        ("zproto_persistence_off", zproto(False, True)),
        ("zproto_persistence_fsync", zproto(True, True)),
        ("zproto_persistence_nofsync", zproto(True, False)),
        ("mosquitto_persistence_true", mosquitto),
    ]
    rates = {}
    for rep in range(REPS):
        for name, make in peers:
            r = run_peer(name, make)
            rates.setdefault(name, []).append(r)
            print("RESULT mqtt_persist peer=%s rep=%d n=%d window=%d msgs_s=%.0f" % (name, rep + 1, N, WINDOW, r), flush=True)
    for name, _ in peers:
        print("MEDIAN mqtt_persist peer=%s msgs_s=%.0f" % (name, statistics.median(rates[name])))


if __name__ == "__main__":
    main()
