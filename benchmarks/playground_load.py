"""A classroom on one playground: N learners, each their own browser and session, training and inspecting at once.

The server is glassnet's web app under waitress, made as ``glassnet serve`` makes it, in its own process; this
process is the load generator, on the same machine. Each of the N client threads is one learner: a browser of
its own (its own cookie and connection), one session of the page's defaults (the spiral, two hidden layers of
8, Adam, batch 10), asking for frames without pause (an epoch of 20 steps each, as the page's Play does),
clicking a neuron and a weight every few frames, and sending the page's heartbeat. A prober sends a picture to
the digit page in the same server five times a second. Counted as failed: any answer that is not 200, a "busy,
send again" (503) is sent again after its Retry-After, as the page sends it, and counted apart; "full" (429)
and anything else counts as failed; a session lost is one answered 404.

Prints each learner's frames per second (median and slowest), the latency of a frame, the digit page's
latency (p50, p99), the server's resident memory before the class arrives, at its peak and at the end, and
the failures. ``--json FILE`` writes the figures.

    python benchmarks/playground_load.py [--sessions 30] [--seconds 120] [--json out.json]
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
from _args import counting
from PIL import Image

SERVER = textwrap.dedent("""
    import tempfile, os
    import glassnet as gn
    from glassnet.web.app import make_server
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "m.glassnet")
    gn.save(path, gn.mlp([64, 32, 10], rng=0), metadata={"image_shape": [8, 8], "classes": list("0123456789")})
    server = make_server(gn.load(path), port=0)
    print(server.effective_port, flush=True)
    server.run()
""")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def digit_png() -> bytes:
    picture = np.full((64, 64), 255, np.uint8)
    picture[10:54, 28:36] = 0  # a "1"
    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, "PNG")
    return buf.getvalue()


class Learner:
    """One browser: its connection (kept open between requests, as a browser keeps it), its cookie, its
    session, its counts."""

    def __init__(self, port: int, query: str) -> None:
        self.port, self.query = port, query
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = ""
        self.frames, self.failures, self.lost, self.busy = 0, [], 0, 0
        self.latencies: list[float] = []
        self.token = ""

    def call(self, method: str, path: str, body: dict | None = None) -> dict | None:
        headers = {"Content-Type": "application/json", **({"Cookie": self.cookie} if self.cookie else {})}
        try:
            self.connection.request(method, "/api/playground" + path,
                                    None if body is None else json.dumps(body).encode(), headers)
            response = self.connection.getresponse()
            data = response.read()
        except OSError as exc:  # the server closed the connection, or did not answer: open a new one
            self.failures.append(f"{method} {path}: {exc!r}")
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return None
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        if response.status == 503:  # busy: the page waits its Retry-After and sends it again
            self.busy += 1
            time.sleep(float(response.getheader("Retry-After") or 1))
            return None
        if response.status != 200:
            self.failures.append(f"{method} {path.split('?')[0].split('/')[-1]}: {response.status}")
            self.lost += response.status == 404
            return None
        return json.loads(data)

    def run(self, stop: float, steps: int) -> None:
        for _ in range(10):  # as the page asks for its session, at most ten times while the server is busy
            busy = self.busy
            answer = self.call("POST", "/sessions", {"query": self.query})
            if answer is not None or self.busy == busy:
                break
        if answer is None:
            if self.busy > busy:
                self.failures.append("POST sessions: busy ten times")
            return
        self.token = answer["id"]
        beat = time.monotonic()
        start = None
        while time.monotonic() < stop:
            start = start or time.perf_counter()  # a frame answered busy is waited for from its first asking
            if self.call("POST", f"/{self.token}/train", {"steps": steps}) is not None:
                self.latencies.append(time.perf_counter() - start)
                self.frames, start = self.frames + 1, None
            if self.frames % 10 == 5:  # the learner clicks a neuron, then one of its weights
                self.call("GET", f"/{self.token}/neuron?layer={self.frames % 2}&j={self.frames % 8}")
                self.call("GET", f"/{self.token}/weight?layer=1&i={self.frames % 8}&j=3")
            if time.monotonic() - beat > 30:
                self.call("POST", f"/{self.token}/heartbeat")
                beat = time.monotonic()


def probe_digits(port: int, stop: float, latencies: list[float], failures: list[str]) -> None:
    """The digit page in the same server, five times a second: a picture sent, its answer timed."""
    picture = digit_png()
    while time.monotonic() < stop:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/predict", picture, {"Content-Type": "image/png"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
            latencies.append(time.perf_counter() - start)
        except (urllib.error.HTTPError, OSError) as exc:
            failures.append(f"digit page: {exc!r}")
        time.sleep(0.2)


def percentile(values: list[float], q: float) -> float:
    """NumPy's percentile (between the two middle values for the median of an even count), nan for none."""
    return float(np.percentile(values, 100 * q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=counting(), default=30, help="learners, each a browser and a session")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--steps", type=int, default=20, help="steps per frame (20: one epoch of the defaults)")
    parser.add_argument("--query", default="data=spiral&noise=0.1", help="the sessions' settings")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        time.sleep(0.5)
        rss_before = rss_mib(server.pid)
        learners = [Learner(port, args.query) for _ in range(args.sessions)]
        digit_latencies: list[float] = []
        digit_failures: list[str] = []
        peak = [rss_before]
        stop = time.monotonic() + args.seconds
        threads = [threading.Thread(target=learner.run, args=(stop, args.steps)) for learner in learners]
        threads.append(threading.Thread(target=probe_digits, args=(port, stop, digit_latencies, digit_failures)))
        began = time.monotonic()
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            peak[0] = max(peak[0], rss_mib(server.pid))
            time.sleep(0.25)
        elapsed = time.monotonic() - began
        rss_end = rss_mib(server.pid)
        server_cpu = cpu_seconds(server.pid)
    finally:
        server.kill()
        server.wait()
    fps = sorted(learner.frames / elapsed for learner in learners)
    frames = [t for learner in learners for t in learner.latencies]
    failures = [f for learner in learners for f in learner.failures] + digit_failures
    lost = sum(learner.lost for learner in learners)
    figures = {
        "sessions": args.sessions, "seconds": round(elapsed, 1), "query": args.query, "steps_per_frame": args.steps,
        "frames_per_second_median": round(statistics.median(fps), 2), "frames_per_second_slowest": round(fps[0], 2),
        "frames_per_second_all": round(sum(learner.frames for learner in learners) / elapsed, 1),
        "frame_latency_median_ms": round(1000 * statistics.median(frames), 1) if frames else None,
        "frame_latency_p99_ms": round(1000 * percentile(frames, 0.99), 1),
        "digit_page_p50_ms": round(1000 * percentile(digit_latencies, 0.5), 1),
        "digit_page_p99_ms": round(1000 * percentile(digit_latencies, 0.99), 1),
        "digit_page_requests": len(digit_latencies),
        "rss_before_mib": round(rss_before, 1), "rss_peak_mib": round(peak[0], 1), "rss_end_mib": round(rss_end, 1),
        "failed_requests": len(failures), "sessions_lost": lost,
        "busy_answers": sum(learner.busy for learner in learners),
        "server_cpu_share": round(server_cpu / elapsed, 2),
        "load_cpu_share": round(cpu_seconds(os.getpid()) / elapsed, 2),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print(f"{args.sessions} learners ({args.query}), each a browser and a session; {args.steps} steps a frame; "
          f"{elapsed:.1f} s; the load generator in its own process on the same machine")
    print(f"frames/s per session: median {figures['frames_per_second_median']}, slowest "
          f"{figures['frames_per_second_slowest']}; all together {figures['frames_per_second_all']}")
    print(f"latency of a frame: median {figures['frame_latency_median_ms']} ms, "
          f"p99 {figures['frame_latency_p99_ms']} ms")
    print(f"digit page meanwhile: {len(digit_latencies)} pictures, p50 {figures['digit_page_p50_ms']} ms, "
          f"p99 {figures['digit_page_p99_ms']} ms")
    print(f"server memory: {rss_before:.0f} MiB before the class, peak {peak[0]:.0f} MiB, {rss_end:.0f} MiB at the end "
          f"(growth {peak[0] - rss_before:.0f} MiB)")
    print(f"{len(failures)} failed requests, {lost} sessions lost, {figures['busy_answers']} answered busy and sent "
          f"again; CPU: the server {figures['server_cpu_share']} "
          f"cores, the load generator {figures['load_cpu_share']}")
    if failures:
        print("first failures:", failures[:5])
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
