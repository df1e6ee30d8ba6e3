"""Fixtures that run the real `kefu` binary and a real Chromium for the end-to-end suite.

The binary comes from KEFU_BIN (default .build/debug/kefu, built by scripts/test). Each server
gets its own data directory, loopback port and database: a fresh SQLite file, or a fresh database
on the PostgreSQL server KEFU_TEST_POSTGRES_URL names. Tests marked `each_database` run once per
backend (the PostgreSQL run is skipped when KEFU_TEST_POSTGRES_URL is not set).
"""
import os
import re
import resource
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parent.parent
KEFU_BIN = os.environ.get("KEFU_BIN", str(ROOT / ".build" / "debug" / "kefu"))
ARTIFACTS = ROOT / "e2e" / "artifacts"

DEMO_ADMIN = ("admin@kefu.example", "kefu-demo-admin")
DEMO_AGENT = ("agent@kefu.example", "kefu-demo-agent")
POSTGRES_URL = os.environ.get("KEFU_TEST_POSTGRES_URL")


def pytest_configure(config):
    config.addinivalue_line("markers", "each_database: run once on SQLite and once on PostgreSQL (the `backend` parameter)")


def pytest_generate_tests(metafunc):
    # Every server a marked test makes (fresh_server, demo_server, make_server and the fixtures
    # built on them) follows the `backend` parameter, so a flow is written once for both.
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("each_database"):
        metafunc.parametrize("backend", [
            "sqlite",
            pytest.param("postgres", marks=pytest.mark.skipif(not POSTGRES_URL, reason="needs KEFU_TEST_POSTGRES_URL")),
        ], indirect=True)


def psql(sql):
    """Runs one statement as the test PostgreSQL server's owner."""
    result = subprocess.run(["psql", POSTGRES_URL, "-v", "ON_ERROR_STOP=1", "-qc", sql], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"psql {sql!r} failed: {result.stderr}")


def create_postgres_database():
    """A new, empty database on the test PostgreSQL server: (its URL, its name)."""
    assert POSTGRES_URL, "KEFU_TEST_POSTGRES_URL is not set"
    name = "kefu_e2e_" + uuid.uuid4().hex[:16]
    psql(f"CREATE DATABASE {name}")
    parts = urlsplit(POSTGRES_URL)
    return urlunsplit(parts._replace(path="/" + name)), name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KefuServer:
    """One `kefu` process with its own data directory and database; `backend` picks a fresh
    SQLite file ("sqlite") or a fresh PostgreSQL database ("postgres") unless `database_url` is given."""

    def __init__(self, database_url=None, backend="sqlite"):
        self.backend = backend
        self.postgres_database = None
        if database_url is None and backend == "postgres":
            database_url, self.postgres_database = create_postgres_database()
        self.dir = Path(tempfile.mkdtemp(prefix="kefu-e2e-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update({
            "KEFU_DATA_DIR": str(self.dir / "data"),
            "KEFU_DATABASE_URL": database_url or f"sqlite://{self.dir}/kefu.sqlite",
            "KEFU_HTTP_PORT": str(self.port),
            "KEFU_HTTP_HOST": "127.0.0.1",
        })
        self.process = None

    def cli(self, *args, stdin=None, check=True):
        result = subprocess.run([KEFU_BIN, *args], env=self.env, input=stdin, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"kefu {' '.join(args)} failed ({result.returncode}): {result.stdout}\n{result.stderr}")
        return result

    def start(self, *extra, descriptors=None):
        """Runs `kefu serve`; `descriptors` sets its open-file limit (soft and hard), as a small VM would."""
        self.log = open(self.dir / "server.log", "w")

        def limit():
            if descriptors:
                resource.setrlimit(resource.RLIMIT_NOFILE, (descriptors, descriptors))

        self.process = subprocess.Popen([KEFU_BIN, "serve", *extra], env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        preexec_fn=limit)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("kefu exited: " + (self.dir / "server.log").read_text())
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("kefu did not become healthy: " + (self.dir / "server.log").read_text())

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def close(self):
        """Stops the server for good and drops its PostgreSQL database (the server is shared)."""
        self.stop()
        if self.postgres_database:
            psql(f"DROP DATABASE IF EXISTS {self.postgres_database} WITH (FORCE)")
            self.postgres_database = None

    def api_login(self, email, password, otp=None):
        body = {"email": email, "password": password}
        if otp:
            body["otp"] = otp
        response = requests.post(self.url + "/api/v1/auth/login", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["token"]


@pytest.fixture
def backend(request):
    """The database this test's servers use: "sqlite", or each of both when marked each_database."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def make_server(backend):
    """Makes servers (not started) on fresh databases of the test's backend; closes them after."""
    servers = []

    def make(**kwargs):
        server = KefuServer(backend=backend, **kwargs)
        servers.append(server)
        return server
    yield make
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def demo_servers():
    """One Kefu with demo data per backend, started when first asked for and shared by the
    read-mostly tests."""
    servers = {}

    def get(backend):
        if backend not in servers:
            servers[backend] = KefuServer(backend=backend).start("--demo")
        return servers[backend]
    yield get
    for server in servers.values():
        server.close()


@pytest.fixture
def demo_server(demo_servers, backend):
    """The shared Kefu with demo data on the test's backend."""
    return demo_servers(backend)


@pytest.fixture
def fresh_server(make_server):
    """A Kefu with an empty database and one admin created by the CLI."""
    server = make_server()
    server.cli("migrate")
    server.cli("admin", "create", "--email", "ops@kefu.example", "--name", "Ops Admin", stdin="e2e-admin-passphrase\n")
    server.start()
    yield server


def chromium(language):
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900", f"--lang={language}"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(5)
    return driver


def _browser(request, language):
    driver = chromium(language)
    yield driver
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{request.node.name}-{language}.png"))
    driver.quit()


@pytest.fixture
def browser(request):
    """Chromium asking for English pages; a screenshot of the last page lands in e2e/artifacts."""
    yield from _browser(request, "en-US")


@pytest.fixture
def browser_zh(request):
    """Chromium asking for Chinese pages."""
    yield from _browser(request, "zh-CN")


def wait_until(driver, condition, timeout=10):
    """Waits for a condition across page loads (elements of the old page may go stale meanwhile)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait
    # Live updates swap parts of the page at any moment: a lookup that races one (stale or
    # detached node, or not there yet) is simply tried again until the timeout.
    return WebDriverWait(driver, timeout, ignored_exceptions=(WebDriverException,)).until(condition)


def click(driver, selector, by="css selector"):
    """Clicks an element, looking it up again if live updates replaced it meanwhile."""
    def attempt(d):
        d.find_element(by, selector).click()
        return True
    return wait_until(driver, attempt)


def type_into(driver, selector, text):
    """Types into a field, looking it up again if live updates replaced it meanwhile (a stale
    element refuses the keys before typing any)."""
    def attempt(d):
        d.find_element("css selector", selector).send_keys(text)
        return True
    return wait_until(driver, attempt)


FAILED_RESPONSE = re.compile(r"^(?P<url>\S+) - Failed to load resource: the server responded with a status of (?P<status>\d{3})\b")


def console_errors(driver, expected=()):
    """Everything the browser logged at error level since the last call: script errors, CSP
    violations, and every failed load (page, script, style, image, fetch; 4xx and 5xx alike)
    except the responses the test expects. `expected` lists them as (status, path) pairs, e.g.
    [(401, "/console/login")]: only that status for exactly that path (query ignored) is let through.
    Returns the messages, so a failed `== []` shows them whole."""
    allowed = {(status, path) for status, path in expected}
    errors = []
    for entry in driver.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        failed = FAILED_RESPONSE.match(entry["message"])
        if failed and (int(failed["status"]), urlsplit(failed["url"]).path) in allowed:
            continue
        errors.append(entry["message"])
    return errors


def unique_email(prefix="agent"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}@kefu.example"


class Capture:
    """An SMTP server standing in for the world outside: keeps every mail it is given."""
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK captured"


@pytest.fixture
def relay():
    """A capturing SMTP relay (aiosmtpd) on a loopback port: (controller, capture)."""
    from aiosmtpd.controller import Controller
    capture = Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, capture
    controller.stop()


def wait_for(condition, timeout=20):
    """Polls until `condition()` is truthy and returns its value."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def serve_host_page(kefu_url, body):
    """A third-party page on another origin (a wallet's site) under a strict CSP that allows only
    Kefu's script and frame. `body()` gives the page's <body> content on every request, so a page
    can carry a fresh token each time. Returns the running server; call shutdown() after."""
    import http.server
    import threading
    policy = f"default-src 'none'; script-src {kefu_url}; frame-src {kefu_url}; style-src 'none'; img-src 'none'"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            html = f'<!doctype html><html><head><meta charset="utf-8"><title>Wallet</title></head><body>{body()}</body></html>'
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.end_headers()
            self.wfile.write(html.encode())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server

