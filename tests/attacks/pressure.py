#!/usr/bin/env python3
"""Hostile load against a running `clientele` binary, for the numbers in
docs/operations.md: worst-case searches within the field limits, and many large
request bodies at once. Only loopback traffic; every loop is bounded.

    python3 tests/attacks/pressure.py search  target/release/clientele [CUSTOMERS]
    python3 tests/attacks/pressure.py bodies  target/release/clientele [BODY_MEMORY_MIB ...]

Prints one line per measurement: what was sent, the time, and the server's resident
memory (VmRSS) and its peak (VmHWM) from /proc.
"""

import concurrent.futures
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_mib(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) // 1024
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


class Server:
    def __init__(self, binary, db, flags):
        self.port = free_port()
        self.process = subprocess.Popen(
            [binary, "serve", "--db", db, "--listen", f"127.0.0.1:{self.port}",
             "--trust-proxy", *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(300):
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def request(self, method, target, body=None, headers=None, timeout=120):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, target, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def memory(self):
        return memory_mib(self.process.pid)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def woo_key(binary, db):
    out = subprocess.run(
        [binary, "keys", "create", "--kind", "woocommerce", "--db", db],
        check=True, capture_output=True, text=True).stdout
    key = json.loads(out)
    return f"consumer_key={key['consumer_key']}&consumer_secret={key['consumer_secret']}"


def search(binary, customers):
    """Customers whose names are as long and as repetitive as the limits allow, and
    searches for terms as long as a name (every trigram the same), longer, and far
    longer: the worst the trigram index can be asked."""
    with tempfile.TemporaryDirectory() as work:
        db = os.path.join(work, "search.sqlite3")
        data = os.path.join(work, "customers.ndjson")
        with open(data, "w") as out:
            for i in range(customers):
                out.write(json.dumps({
                    "type": "customer", "email": f"c{i}@example.com",
                    "first_name": "a" * 255, "last_name": "a" * 255,
                    "username": f"user{i}", "role": "customer"}) + "\n")
        started = time.monotonic()
        subprocess.run([binary, "import", "--db", db, data], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(f"imported {customers} customers in {time.monotonic() - started:.1f}s")
        keys = woo_key(binary, db)
        server = Server(binary, db, [])
        headers = {"X-Forwarded-Proto": "https"}
        try:
            for label, term in [("3 characters", "aaa"), ("255 characters", "a" * 255),
                                ("256 characters", "a" * 256),
                                ("800 characters", "a" * 800),
                                ("800 varied", "".join(chr(97 + i % 26) for i in range(800)))]:
                for what in ("q", "search"):
                    started = time.monotonic()
                    status, body = server.request(
                        "GET", f"/wp-json/wc/v3/customers?{what}={term}&role=all&{keys}",
                        headers=headers)
                    took = time.monotonic() - started
                    rss, hwm = server.memory()
                    print(f"{what}= {label:>15}: {status} in {took * 1000:8.1f} ms, "
                          f"{len(json.loads(body)) if status == 200 else '-'} rows; "
                          f"server RSS {rss} MiB, peak {hwm} MiB")
        finally:
            server.stop()


def bodies(binary, budgets, clients=40, body_mib=15):
    """`clients` requests at once, each with a body of `body_mib` MiB (a meta value far
    over its limit: parsed, then refused), under each memory budget."""
    value = "v" * (body_mib * 1024 * 1024)
    body = json.dumps({"email": "big@example.com",
                       "meta_data": [{"key": "k", "value": value}]}).encode()
    for budget in budgets:
        with tempfile.TemporaryDirectory() as work:
            db = os.path.join(work, "bodies.sqlite3")
            server = Server(binary, db, ["--demo", "--body-memory", str(budget)])
            keys = woo_key(binary, db)
            idle_rss, _ = server.memory()
            headers = {"X-Forwarded-Proto": "https", "Content-Type": "application/json"}
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(clients) as pool:
                statuses = list(pool.map(
                    lambda _: server.request("POST", f"/wp-json/wc/v3/customers?{keys}",
                                             body=body, headers=headers)[0],
                    range(clients)))
            took = time.monotonic() - started
            _, peak = server.memory()
            time.sleep(5)
            after, _ = server.memory()
            print(f"--body-memory {budget:>5} MiB: {clients} x {body_mib} MiB bodies in "
                  f"{took:.1f}s, statuses {sorted(set(statuses))}; server RSS idle "
                  f"{idle_rss} MiB, peak {peak} MiB, 5 s later {after} MiB")
            server.stop()


def main():
    mode, binary = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    if mode == "search":
        search(binary, int(rest[0]) if rest else 20000)
    elif mode == "bodies":
        bodies(binary, [int(b) for b in rest] or [64, 16384])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
