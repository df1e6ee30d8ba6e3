"""Turning two-factor authentication off, for agents and wallet customers, through the API and the
pages: a wrong code (or a wrong password) is refused and 2FA stays on; the password with a right
code (pyotp's, an independent implementation) turns it off. And the operator's way out for an agent
who lost their authenticator: `kefu admin reset-2fa`, which also ends their sessions and is audited."""
import re
import time

import pyotp
import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import click, console_errors, wait_until
from test_account_pages import fill
from test_console_login import sign_in, sign_out, wait_for_path

pytestmark = pytest.mark.each_database

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")
AGENT = ("mei@kefu.example", "agent e2e passphrase")
CUSTOMER = ("tang.hui@example.cn", "钱包密码-TwoFactor-2026!")


def wrong_code(totp):
    """Six digits that are no code of this secret around now."""
    near = {totp.at(time.time() + 30 * step) for step in range(-2, 3)}
    return next(code for code in ("000000", "123456", "999999") if code not in near)


def unused_code(totp):
    """A right code the server has not seen yet: the enrolling code's time step is spent, the next
    step is within the allowed drift."""
    return totp.at(time.time() + 30)


def problem(response, status, code):
    assert response.status_code == status, (response.request.url, response.status_code, response.text)
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code


def create_agent(server):
    server.cli("admin", "create", "--email", AGENT[0], "--name", "Mei", "--role", "agent", stdin=AGENT[1] + "\n")


def agent_with_two_factor(server):
    """The agent enrols through the API; returns (their bearer headers, their TOTP)."""
    auth = {"Authorization": f"Bearer {server.api_login(*AGENT)}"}
    setup = requests.post(server.url + "/api/v1/me/2fa/setup", headers=auth, timeout=10)
    assert setup.status_code == 200, setup.text
    totp = pyotp.parse_uri(setup.json()["otpauthUri"])
    confirmed = requests.post(server.url + "/api/v1/me/2fa/confirm", headers=auth, json={"code": totp.now()}, timeout=10)
    assert confirmed.status_code == 200, confirmed.text
    assert requests.get(server.url + "/api/v1/me", headers=auth, timeout=10).json()["agent"]["totpEnabled"] is True
    return auth, totp


def agent_login(server, otp=None):
    body = {"email": AGENT[0], "password": AGENT[1]} | ({"otp": otp} if otp else {})
    return requests.post(server.url + "/api/v1/auth/login", json=body, timeout=10)


def audit(server, action):
    admin = {"Authorization": f"Bearer {server.api_login(*ADMIN)}"}
    return [e for e in requests.get(server.url + "/api/v1/audit?limit=100", headers=admin, timeout=10).json()["items"] if e["action"] == action]


def test_an_agent_turns_two_factor_off_through_the_api(fresh_server):
    server = fresh_server
    create_agent(server)
    auth, totp = agent_with_two_factor(server)
    me = requests.get(server.url + "/api/v1/me", headers=auth, timeout=10).json()["agent"]
    disable = lambda password, code: requests.post(server.url + "/api/v1/me/2fa/disable", headers=auth,
                                                   json={"password": password, "code": code}, timeout=10)

    problem(disable(AGENT[1], wrong_code(totp)), 401, "invalid_otp")
    problem(disable("not the password", unused_code(totp)), 401, "invalid_credentials")
    assert requests.get(server.url + "/api/v1/me", headers=auth, timeout=10).json()["agent"]["totpEnabled"] is True
    problem(agent_login(server), 401, "otp_required")
    assert audit(server, "agent.2fa.disabled") == []

    assert disable(AGENT[1], unused_code(totp)).status_code == 200
    assert requests.get(server.url + "/api/v1/me", headers=auth, timeout=10).json()["agent"]["totpEnabled"] is False
    login = agent_login(server)
    assert login.status_code == 200, login.text
    assert [e["subjectId"] for e in audit(server, "agent.2fa.disabled")] == [me["id"]]


def test_an_agent_turns_two_factor_off_on_the_profile_page(fresh_server, browser):
    server = fresh_server
    create_agent(server)
    sign_in(browser, server, *AGENT)
    wait_for_path(browser, "/console")
    browser.get(server.url + "/console/profile")
    click(browser, "[data-testid=setup-2fa]")
    key = wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=manual-key]")).text.replace(" ", "")
    totp = pyotp.TOTP(key)
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/profile/2fa/confirm'] input[name=code]").send_keys(totp.now())
    click(browser, "form[action='/console/profile/2fa/confirm'] button")
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid='2fa-on']"))

    def turn_off(code):
        form = "form[action='/console/profile/2fa/disable']"
        wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"{form} input[name=password]")).send_keys(AGENT[1])
        browser.find_element(By.CSS_SELECTOR, f"{form} input[name=code]").send_keys(code)
        click(browser, f"{form} button")

    turn_off(wrong_code(totp))
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=error]").is_displayed())
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid='2fa-on']").is_displayed()
    problem(agent_login(server), 401, "otp_required")

    turn_off(unused_code(totp))
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=flash]").is_displayed())
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid='2fa-off']").is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='2fa-on']")
    assert console_errors(browser) == []
    # The password alone signs in now.
    sign_out(browser)
    sign_in(browser, server, *AGENT)
    wait_for_path(browser, "/console")
    assert agent_login(server).status_code == 200


def customer_session(server):
    assert requests.post(server.url + "/api/v1/accounts", json={"email": CUSTOMER[0], "password": CUSTOMER[1]}, timeout=10).status_code == 201
    login = requests.post(server.url + "/api/v1/accounts/sessions", json={"email": CUSTOMER[0], "password": CUSTOMER[1]}, timeout=10)
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def customer_login(server, otp=None):
    body = {"email": CUSTOMER[0], "password": CUSTOMER[1]} | ({"otp": otp} if otp else {})
    return requests.post(server.url + "/api/v1/accounts/sessions", json=body, timeout=10)


def test_a_customer_turns_two_factor_off_through_the_api(fresh_server):
    server = fresh_server
    auth = customer_session(server)
    uri = requests.post(server.url + "/api/v1/accounts/me/2fa/setup", headers=auth, timeout=10).json()["otpauthUri"]
    totp = pyotp.TOTP(re.search(r"secret=([A-Z2-7]+)", uri).group(1))
    confirmed = requests.post(server.url + "/api/v1/accounts/me/2fa/confirm", headers=auth, json={"code": totp.now()}, timeout=10)
    assert confirmed.status_code == 200, confirmed.text
    me = lambda: requests.get(server.url + "/api/v1/accounts/me", headers=auth, timeout=10).json()
    assert me()["totpEnabled"] is True
    disable = lambda password, code: requests.post(server.url + "/api/v1/accounts/me/2fa/disable", headers=auth,
                                                   json={"password": password, "code": code}, timeout=10)

    # Refused without saying which factor was wrong; 2FA stays on.
    problem(disable(CUSTOMER[1], wrong_code(totp)), 401, "invalid_credentials")
    problem(disable("钱包密码-Wrong-2026!", unused_code(totp)), 401, "invalid_credentials")
    assert me()["totpEnabled"] is True
    assert customer_login(server).status_code == 401

    assert disable(CUSTOMER[1], unused_code(totp)).status_code == 200
    assert me()["totpEnabled"] is False
    login = customer_login(server)
    assert login.status_code == 200 and login.json()["account"]["totpEnabled"] is False


def test_a_customer_turns_two_factor_off_on_the_account_page(fresh_server, browser):
    server = fresh_server
    customer_session(server)
    browser.get(server.url + "/account/login")
    fill(browser, email=CUSTOMER[0], password=CUSTOMER[1])
    wait_until(browser, lambda d: d.current_url.endswith("/account"))
    click(browser, "[data-testid=setup-2fa]")
    key = wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=manual-key]")).text.replace(" ", "")
    totp = pyotp.TOTP(key)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=field-code]").send_keys(totp.now())
    click(browser, "[data-testid=confirm-2fa]")
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=recovery-codes] code"))

    def turn_off(code):
        form = "form[action='/account/2fa/disable']"
        wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, f"{form} input[name=password]")).send_keys(CUSTOMER[1])
        browser.find_element(By.CSS_SELECTOR, f"{form} input[name=code]").send_keys(code)
        click(browser, f"{form} button")

    turn_off(wrong_code(totp))
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=error]").is_displayed())
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid='2fa-on']").is_displayed()
    assert customer_login(server).status_code == 401

    turn_off(unused_code(totp))
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=message]").is_displayed())
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid='2fa-off']").is_displayed()
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid='2fa-on']")
    login = customer_login(server)
    assert login.status_code == 200 and login.json()["account"]["totpEnabled"] is False
    # The refused attempt answered 401 on purpose (the page shown again with the problem).
    assert console_errors(browser, expected=[(401, "/account/2fa/disable")]) == []


def test_the_operator_resets_an_agents_two_factor(fresh_server, browser):
    server = fresh_server
    create_agent(server)
    auth, totp = agent_with_two_factor(server)
    agent_id = requests.get(server.url + "/api/v1/me", headers=auth, timeout=10).json()["agent"]["id"]
    sign_in(browser, server, *AGENT)
    wait_for_path(browser, "/console/login/2fa")
    browser.find_element(By.NAME, "code").send_keys(unused_code(totp))
    click(browser, "button[type=submit]")
    wait_for_path(browser, "/console")
    problem(agent_login(server), 401, "otp_required")

    unknown = server.cli("admin", "reset-2fa", "--email", "nobody@kefu.example", check=False)
    assert unknown.returncode != 0 and "nobody@kefu.example" in unknown.stdout + unknown.stderr
    assert audit(server, "agent.2fa.reset.cli") == []

    result = server.cli("admin", "reset-2fa", "--email", AGENT[0])
    assert AGENT[0] in result.stdout
    # Their sessions ended: the API token and the console's cookie alike.
    problem(requests.get(server.url + "/api/v1/me", headers=auth, timeout=10), 401, "unauthenticated")
    browser.get(server.url + "/console")
    wait_for_path(browser, "/console/login")
    # The password alone signs them in, on the console and through the API.
    sign_in(browser, server, *AGENT)
    wait_for_path(browser, "/console")
    login = agent_login(server)
    assert login.status_code == 200 and login.json()["agent"]["totpEnabled"] is False
    entries = audit(server, "agent.2fa.reset.cli")
    assert [(e["subjectKind"], e["subjectId"]) for e in entries] == [("agent", agent_id)]
    assert console_errors(browser) == []
