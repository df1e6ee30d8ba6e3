"""Reports end to end (docs/reports.md): figures for a day's conversations as JSON, the contract's
CSV (a header then one row per conversation created in the range), and the console page with its
server-drawn charts, in Chromium."""
import csv
import datetime
import io

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, wait_for
from test_console_login import sign_in, wait_for_path

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")


def api(server, auth, method, path, **kwargs):
    return requests.request(method, server.url + "/api/v1" + path, headers=auth, timeout=20, **kwargs)


@pytest.mark.each_database
def test_a_days_figures_as_json_csv_and_charts(fresh_server, browser):
    server = fresh_server
    auth = {"Authorization": f"Bearer {server.api_login(*ADMIN)}"}
    for n in range(3):
        raw = (f"From: Customer {n} <c{n}@example.com>\r\nTo: support@localhost\r\nSubject: Question {n}\r\n"
               f"Message-ID: <report-{n}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello {n}, =cmd|' /C calc'!A0\r\n")
        server.cli("ingest-email", stdin=raw)
    conversations = wait_for(lambda: (items := api(server, auth, "GET", "/conversations").json()["items"]) and len(items) == 3 and items)
    first = conversations[0]["id"]
    assert api(server, auth, "POST", f"/conversations/{first}/messages", json={"text": "Answered."}).status_code == 201
    assert api(server, auth, "PATCH", f"/conversations/{first}", json={"status": "resolved", "labels": ["withdrawal"]}).status_code == 200
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()

    overview = api(server, auth, "GET", f"/reports/overview?from={today}&to={today}")
    assert overview.status_code == 200, overview.text
    current = overview.json()["current"]
    assert current["conversations"] == 3
    assert current["byChannel"] == [{"key": "email", "count": 3}]
    assert current["firstResponse"]["count"] == 1 and current["resolution"]["count"] == 1
    assert sum(b["count"] for b in current["byHour"]) == 3
    assert overview.json()["previous"]["conversations"] == 0

    export = api(server, auth, "GET", f"/reports/conversations.csv?from={today}&to={today}")
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0][:3] == ["id", "number", "channel"]
    assert sorted(r[0] for r in rows[1:]) == sorted(c["id"] for c in conversations)
    resolved = next(r for r in rows[1:] if r[0] == first)
    assert resolved[rows[0].index("status")] == "resolved" and resolved[rows[0].index("labels")] == "withdrawal"
    assert resolved[rows[0].index("first_response_seconds")].isdigit()
    summary = api(server, auth, "GET", f"/reports/summary.csv?from={today}&to={today}")
    assert list(csv.reader(io.StringIO(summary.text)))[1] == ["conversations", "all", "", "3", "0"]
    # Bad ranges are refused with the field named.
    bad = api(server, auth, "GET", f"/reports/overview?from={today}&to=2000-01-01")
    assert bad.status_code == 400 and bad.json()["errors"][0]["name"] == "to"

    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")
    browser.get(f"{server.url}/console/reports?from={today}&to={today}")
    cards = browser.find_element(By.CSS_SELECTOR, "[data-testid=report-cards]").text
    assert "3" in cards
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=chart-hours] svg").get_attribute("role") == "img"
    browser.save_screenshot(str(ARTIFACTS / "reports.png"))
    browser.set_window_size(390, 900)
    browser.get(f"{server.url}/console/reports?from={today}&to={today}")
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    browser.save_screenshot(str(ARTIFACTS / "reports-390.png"))
