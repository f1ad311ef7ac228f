"""Ten playground sessions training at once: frames per second each, and the server's memory.

The server is glassnet's web app under waitress (12 threads), in its own
process; ten client threads in this one each open a session (the spiral,
two hidden layers of 8, Adam, batch 10: the page's defaults) and ask for
frames without pause, each frame one epoch of 20 steps, as the page's Play
does. Prints each session's frames per second, the latency of a frame, and
the server's resident memory after the sessions opened and at the end.

    python benchmarks/playground_load.py [--sessions 10] [--seconds 20] [--query "layers=16,16&..."]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

SERVER = textwrap.dedent("""
    import sys, tempfile, os
    import glassnet as gn
    from glassnet.web import create_app
    from waitress.server import create_server
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "m.glassnet")
    gn.save(path, gn.mlp([64, 10], rng=0), metadata={"image_shape": [8, 8], "classes": list("0123456789")})
    server = create_server(create_app(gn.load(path)), host="127.0.0.1", port=0, threads=12)
    print(server.effective_port, flush=True)
    server.run()
""")


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def rss_mib(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of a process, in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    field = {line.split(":")[0]: line.split()[1] for line in status.splitlines() if line.startswith("Vm")}
    return int(field["VmRSS"]) / 1024, int(field["VmHWM"]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--steps", type=int, default=20, help="steps per frame (20: one epoch of the defaults)")
    parser.add_argument("--query", default="data=spiral&noise=0.1", help="the sessions' settings")
    args = parser.parse_args()

    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())
        base = f"http://127.0.0.1:{port}/api/playground"
        tokens = [post(f"{base}/sessions", {"query": args.query})["id"] for _ in range(args.sessions)]
        rss_open, _ = rss_mib(server.pid)
        frames = [0] * args.sessions
        latencies: list[float] = []
        errors: list[str] = []
        stop = time.monotonic() + args.seconds

        def client(k: int) -> None:
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    post(f"{base}/{tokens[k]}/train", {"steps": args.steps})
                except Exception as exc:  # noqa: BLE001 - counted and shown
                    errors.append(repr(exc))
                    continue
                latencies.append(time.perf_counter() - start)
                frames[k] += 1

        threads = [threading.Thread(target=client, args=(k,)) for k in range(args.sessions)]
        began = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - began
        rss_end, peak = rss_mib(server.pid)
    finally:
        server.kill()
        server.wait()
    fps = sorted(f / elapsed for f in frames)
    print(f"{args.sessions} sessions ({args.query}), {args.steps} steps a frame, {elapsed:.1f} s; "
          f"{len(errors)} errors")
    print(f"frames/s per session: lowest {fps[0]:.1f}, median {statistics.median(fps):.1f}, highest {fps[-1]:.1f}; "
          f"all together {sum(frames) / elapsed:.1f}")
    lat = sorted(latencies)
    print(f"latency of a frame: median {1000 * statistics.median(lat):.0f} ms, "
          f"p99 {1000 * lat[int(0.99 * (len(lat) - 1))]:.0f} ms")
    print(f"server memory: {rss_open:.0f} MiB with the sessions open, {rss_end:.0f} MiB at the end "
          f"(peak {peak:.0f} MiB)")
    if errors:
        print("first error:", errors[0])


if __name__ == "__main__":
    main()
