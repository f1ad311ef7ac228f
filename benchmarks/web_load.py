"""A bounded load test of `glassnet serve` on loopback: N requests, C at a time.

Starts the server as its own process on 127.0.0.1, sends N predictions (a
picture of a digit, several sizes and formats in turn) from C threads,
counts errors, reports throughput and latency percentiles, and reads the
server's resident memory (from /proc) after a warm-up and at the end. Also
sends a bad request every 50 requests, which must get a 4xx without
disturbing the rest. Traffic goes to 127.0.0.1 only, and the run stops by
itself.

    python benchmarks/web_load.py MODEL [--requests 2000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import http.client
import io
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from _args import counting
from PIL import Image


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pictures() -> list[tuple[bytes, str]]:
    ink = np.zeros((28, 28), np.uint8)
    ink[5:23, 13:16] = 255  # a "1"
    out = []
    for size, fmt, invert in [(28, "PNG", False), (200, "PNG", True), (120, "JPEG", True), (64, "JPEG", False)]:
        img = Image.fromarray(255 - ink if invert else ink).resize((size, size))
        buf = io.BytesIO()
        img.save(buf, fmt)
        out.append((buf.getvalue(), f"image/{fmt.lower()}"))
    return out


def request(port: int, body: bytes, ctype: str) -> tuple[int, float]:
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/predict", body=body, headers={"Content-Type": ctype})
        res = conn.getresponse()
        res.read()
        return res.status, time.perf_counter() - start
    finally:
        conn.close()


def run(model: str, requests: int = 2000, concurrency: int = 8, verbose: bool = True) -> dict:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "glassnet", "serve", model, "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):  # wait for the port to open, 10 s at most
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(server.stderr.read().decode()) from None
                time.sleep(0.1)
        pics = pictures()
        bad = (b"not a picture", "image/png")
        jobs = [bad if i % 50 == 49 else pics[i % len(pics)] for i in range(requests)]
        warm = min(200, requests // 4)
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(lambda j: request(port, *j), jobs[:warm]))
            rss_warm = rss_mib(server.pid)
            start = time.perf_counter()
            results = list(pool.map(lambda j: request(port, *j), jobs[warm:]))
            elapsed = time.perf_counter() - start
        rss_end = rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stderr.close()
    expected = [400 if j is bad else 200 for j in jobs[warm:]]
    errors = sum(status != want for (status, _), want in zip(results, expected))
    lat = sorted(t for (_, t), want in zip(results, expected) if want == 200)
    report = {"requests": len(results), "concurrency": concurrency, "errors": errors,
              "bad_requests_answered_4xx": sum(1 for (s, _), w in zip(results, expected) if w == 400 and s == 400),
              "requests_per_s": len(results) / elapsed, "p50_ms": 1000 * statistics.median(lat),
              "p99_ms": 1000 * float(np.percentile(lat, 99)), "rss_after_warmup_mib": rss_warm,
              "rss_end_mib": rss_end}
    if verbose:
        print(f"{report['requests']} requests after {warm} warm-up, {concurrency} at a time, on 127.0.0.1")
        print(f"  errors {errors}; bad requests answered 4xx: {report['bad_requests_answered_4xx']}")
        print(f"  {report['requests_per_s']:.0f} requests/s; latency p50 {report['p50_ms']:.1f} ms, "
              f"p99 {report['p99_ms']:.1f} ms")
        print(f"  server memory {rss_warm:.1f} MiB after warm-up, {rss_end:.1f} MiB at the end")
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--requests", type=counting(), default=2000)
    ap.add_argument("--concurrency", type=counting(), default=8)
    args = ap.parse_args()
    run(args.model, args.requests, args.concurrency)


if __name__ == "__main__":
    main()
