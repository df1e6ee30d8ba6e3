"""What the load scripts share: ports, percentiles, and running the real binary."""
import os
import shutil
import socket
import subprocess
import tempfile


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Kefu:
    """`kefu serve` on loopback with a throwaway SQLite database, for the length of a `with`."""

    def __init__(self, binary, *args, **env):
        self.directory = tempfile.mkdtemp(prefix="kefu-load-")
        self.port = free_port()
        self.env = dict(os.environ, KEFU_DATA_DIR=f"{self.directory}/data", KEFU_DATABASE_URL=f"sqlite://{self.directory}/kefu.sqlite",
                        KEFU_HTTP_PORT=str(self.port), KEFU_LOG_LEVEL="warning", **env)
        self.args = [binary, "serve", *args]

    def __enter__(self):
        self.process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=15)
        shutil.rmtree(self.directory, ignore_errors=True)
