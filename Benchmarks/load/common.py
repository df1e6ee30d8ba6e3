"""What the load scripts share: ports, percentiles, fixtures, and running the real binary.

Every helper fails loudly: a load run that quietly measured nothing (a server that never
started, an empty fixture, a sender that died) must not print figures."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "KefuMailTests" / "Fixtures"


class LoadError(RuntimeError):
    """The run cannot measure what it says; stop with the reason."""


def run_and_report(main, name):
    """Runs a load script's `main`; a LoadError ends it with the reason and exit status 1."""
    try:
        main()
    except LoadError as error:
        print(f"{name}: {error}", file=sys.stderr)
        sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, fraction):
    if not values:
        raise LoadError("no samples: nothing was measured")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def fixture(name):
    """A mail from the mail tests' fixtures; a missing or empty one stops the run."""
    path = FIXTURES / name
    if not path.is_file():
        raise LoadError(f"mail fixture {path} is missing: the load scripts read Kefu's test fixtures from this checkout")
    raw = path.read_bytes()
    if not raw:
        raise LoadError(f"mail fixture {path} is empty")
    return raw


class Kefu:
    """`kefu serve` on loopback with a throwaway SQLite database, for the length of a `with`.
    Its output goes to a log file whose end is shown when it fails to start or dies."""

    def __init__(self, binary, *args, **env):
        if not os.access(binary, os.X_OK):
            raise LoadError(f"{binary} is not an executable: build it first (swift build -c release)")
        self.directory = tempfile.mkdtemp(prefix="kefu-load-")
        self.port = free_port()
        self.log_path = Path(self.directory) / "kefu.log"
        self.env = dict(os.environ, KEFU_DATA_DIR=f"{self.directory}/data", KEFU_DATABASE_URL=f"sqlite://{self.directory}/kefu.sqlite",
                        KEFU_HTTP_PORT=str(self.port), KEFU_LOG_LEVEL="warning", **env)
        self.args = [binary, "serve", *args]

    def __enter__(self):
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.args, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=15)
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log_tail(self, lines=20):
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def check_alive(self):
        """Raises with the server's last output if it has exited."""
        code = self.process.poll()
        if code is not None:
            raise LoadError(f"kefu exited with status {code}:\n{self.log_tail()}")

    def wait_until(self, probe, what, timeout=30):
        """Calls `probe` until it returns without raising, or fails with why it never did."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            try:
                return probe()
            except Exception as error:  # noqa: BLE001 - any failure means "not yet"
                if time.monotonic() > deadline:
                    raise LoadError(f"{what} did not answer within {timeout} s ({error!r}); kefu's output:\n{self.log_tail()}") from error
                time.sleep(0.1)
