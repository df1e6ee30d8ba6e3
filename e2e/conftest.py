"""Fixtures that run the real `kefu` binary and a real Chromium for the end-to-end suite.

The binary comes from KEFU_BIN (default .build/debug/kefu, built by scripts/test). Each server
gets its own data directory and loopback port. PostgreSQL runs when KEFU_TEST_POSTGRES_URL is set.
"""
import os
import re
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parent.parent
KEFU_BIN = os.environ.get("KEFU_BIN", str(ROOT / ".build" / "debug" / "kefu"))
ARTIFACTS = ROOT / "e2e" / "artifacts"

DEMO_ADMIN = ("admin@kefu.example", "kefu-demo-admin")
DEMO_AGENT = ("agent@kefu.example", "kefu-demo-agent")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KefuServer:
    def __init__(self, database_url=None):
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

    def start(self, *extra):
        self.log = open(self.dir / "server.log", "w")
        self.process = subprocess.Popen([KEFU_BIN, "serve", *extra], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
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

    def api_login(self, email, password, otp=None):
        body = {"email": email, "password": password}
        if otp:
            body["otp"] = otp
        response = requests.post(self.url + "/api/v1/auth/login", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["token"]


@pytest.fixture(scope="session")
def demo_server():
    """One Kefu on SQLite with demo data, shared by the read-mostly tests."""
    server = KefuServer()
    server.start("--demo")
    yield server
    server.stop()


@pytest.fixture
def fresh_server():
    """A Kefu with an empty database and one admin created by the CLI."""
    server = KefuServer()
    server.cli("migrate")
    server.cli("admin", "create", "--email", "ops@kefu.example", "--name", "Ops Admin", stdin="e2e-admin-passphrase\n")
    server.start()
    yield server
    server.stop()


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

