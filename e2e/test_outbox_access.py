"""The outbox holds live links (password resets, email verification) until they are sent, so only
admins may read it: an agent or a supervisor is refused through the API, through the console's
pages and through the API from their signed-in browser, and sees nothing of what it holds."""
import email
import email.policy
import re

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import console_errors, wait_for
from test_console_login import sign_in, sign_out, wait_for_path

pytestmark = pytest.mark.each_database

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")
AGENT = ("mei@kefu.example", "agent e2e passphrase")
SUPERVISOR = ("lan@kefu.example", "supervisor e2e passphrase")
CUSTOMER = ("gao.yan@example.cn", "钱包密码-Outbox-2026!")


def live_reset_mail(server):
    """A customer forgets their password; returns (outbox mail, the reset link in it) as an admin reads them."""
    assert requests.post(server.url + "/api/v1/accounts", json={"email": CUSTOMER[0], "password": CUSTOMER[1]}, timeout=10).status_code == 201
    assert requests.post(server.url + "/api/v1/accounts/password-reset", json={"email": CUSTOMER[0]}, timeout=10).status_code == 202
    admin = {"Authorization": f"Bearer {server.api_login(*ADMIN)}"}

    def reset_mail():
        items = requests.get(server.url + "/api/v1/outbox", headers=admin, timeout=10).json()["items"]
        return next((m for m in items if m["subject"] == "Reset your password"), None)
    mail = wait_for(reset_mail)
    raw = requests.get(f"{server.url}/api/v1/outbox/{mail['id']}/raw", headers=admin, timeout=10)
    assert raw.status_code == 200
    text = email.message_from_bytes(raw.content, policy=email.policy.default).get_body(("plain",)).get_content()
    link = re.search(r"http://\S+/account/reset\?token=([A-Za-z0-9_-]+)", text)
    assert link, text
    return mail, link.group(1)


def assert_forbidden_problem(response):
    assert response.status_code == 403, (response.request.url, response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"


def test_only_admins_read_the_outbox(fresh_server, browser):
    server = fresh_server
    for (address, password), role, name in [(AGENT, "agent", "Mei"), (SUPERVISOR, "supervisor", "Lan")]:
        server.cli("admin", "create", "--email", address, "--name", name, "--role", role, stdin=password + "\n")
    mail, token = live_reset_mail(server)

    # Through the API, with each non-admin role's token: 403 problem+json, nothing of the mail.
    for identity in (AGENT, SUPERVISOR):
        auth = {"Authorization": f"Bearer {server.api_login(*identity)}"}
        for path in ("/api/v1/outbox", "/api/v1/outbox?status=local", f"/api/v1/outbox/{mail['id']}/raw"):
            response = requests.get(server.url + path, headers=auth, timeout=10)
            assert_forbidden_problem(response)
            assert token not in response.text and mail["subject"] not in response.text

    # Through the console: the agent's pages show a refusal, not the outbox.
    sign_in(browser, server, *AGENT)
    wait_for_path(browser, "/console")
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href='/console/admin']")
    for path in ("/console/admin/outbox", f"/console/admin/outbox/{mail['id']}"):
        browser.get(server.url + path)
        refusal = browser.find_element(By.CSS_SELECTOR, "main [data-code]")
        assert refusal.get_attribute("data-code") == "forbidden"
        assert browser.find_element(By.TAG_NAME, "h1").text == "403"
        assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=outbox]")
        assert token not in browser.page_source and CUSTOMER[0] not in browser.page_source
        assert mail["subject"] not in browser.page_source
    # The API from the agent's signed-in browser (session cookie) refuses the same way.
    fetched = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('/api/v1/outbox', {credentials: 'same-origin'})
          .then(async r => done({status: r.status, type: r.headers.get('Content-Type'), body: await r.text()}));
    """)
    assert (fetched["status"], fetched["type"]) == (403, "application/problem+json"), fetched
    assert '"forbidden"' in fetched["body"] and token not in fetched["body"]
    assert console_errors(browser, expected=[(403, "/console/admin/outbox"), (403, f"/console/admin/outbox/{mail['id']}"),
                                             (403, "/api/v1/outbox")]) == []

    # The same pages show an admin the mail (so the refusal above is the role's, not a broken page).
    browser.get(server.url + "/console")
    sign_out(browser)
    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")
    browser.get(server.url + "/console/admin/outbox")
    assert mail["subject"] in browser.find_element(By.CSS_SELECTOR, "[data-testid=outbox]").text
    browser.get(f"{server.url}/console/admin/outbox/{mail['id']}")
    assert token in browser.find_element(By.TAG_NAME, "main").text
    assert console_errors(browser) == []

    # What was refused is live: the link in the mail resets the customer's password.
    reset = requests.post(server.url + "/api/v1/accounts/password-reset/confirm",
                          json={"token": token, "password": "另一个长密码-Outbox-77"}, timeout=10)
    assert reset.status_code == 200, reset.text
