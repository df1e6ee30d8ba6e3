"""Start and idle: how soon `kefu serve` answers /healthz on an existing database, and how much
memory it holds when nothing happens (issue 17: within 1 second; under 100 MB).

The database is made once (`--demo`, then stopped), then the server is started on it again
`--runs` times; each time the clock runs from the process's start to the first 200 from
/healthz, polled every 5 ms on fresh connections. The baseline is the same poll against a
Python `http.server` started the same way on the same machine in the same run (what starting a
trivial process and its first answer cost here). Idle memory is VmRSS and VmHWM after the
server has sat for `--idle` seconds.

Usage:
    swift build -c release
    .venv/bin/python Benchmarks/load/start_idle.py --bin .build/release/kefu --runs 5
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import time

from common import Kefu, LoadError, run_and_report, free_port, percentile


def first_answer(port, process, path="/healthz", timeout=30):
    """Seconds from now until `GET path` answers 200 on `port`; stops if the process dies."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise LoadError(f"the process exited with {process.returncode} before answering")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(request)
                status = connection.recv(64)
            if status.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
                return time.perf_counter() - start
        except OSError:
            pass  # not listening yet
        time.sleep(0.005)
    raise LoadError(f"no 200 from {path} within {timeout} s")


def memory_kib(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                values[key] = int(value.split()[0])
    if "VmRSS" not in values:
        raise LoadError(f"/proc/{pid}/status has no VmRSS: memory cannot be measured")
    return values


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/release/kefu")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=5.0)
    args = parser.parse_args()

    with Kefu(args.bin, "--demo") as kefu:
        first_answer(kefu.port, kefu.process)  # the demo database exists after this
        kefu.process.terminate()
        kefu.process.wait(timeout=15)
        starts, idle = [], None
        for run in range(args.runs):
            process = subprocess.Popen(kefu.args[:2], env=kefu.env, stdout=kefu.log, stderr=subprocess.STDOUT)
            try:
                starts.append(first_answer(kefu.port, process))
                if run == args.runs - 1:
                    time.sleep(args.idle)
                    idle = memory_kib(process.pid)
            finally:
                process.terminate()
                process.wait(timeout=15)
        kefu.process = subprocess.Popen(["sleep", "0"])  # what __exit__ stops

    baselines = []
    for _ in range(args.runs):
        port = free_port()
        process = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                                   cwd="/tmp", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            baselines.append(first_answer(port, process, path="/"))
        finally:
            process.terminate()
            process.wait(timeout=15)

    result = {
        "runs": args.runs,
        "start_to_healthz_ms": {"p50": round(percentile(starts, 0.5) * 1000, 1), "max": round(max(starts) * 1000, 1)},
        "baseline_python_http_server_ms": {"p50": round(percentile(baselines, 0.5) * 1000, 1), "max": round(max(baselines) * 1000, 1)},
        "idle_rss_mib": round(idle["VmRSS"] / 1024, 1),
        "peak_rss_mib": round(idle.get("VmHWM", 0) / 1024, 1),
    }
    result["ratio_p50"] = round(result["start_to_healthz_ms"]["p50"] / result["baseline_python_http_server_ms"]["p50"], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    run_and_report(main, "start_idle")
