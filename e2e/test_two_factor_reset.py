"""The supervised 2FA reset in Chromium: a customer who lost their phone writes in; an agent asks
for a reset from the conversation, a supervisor approves it on the 2FA resets page, the customer's
mail (through a real SMTP relay) carries a cancel link that works; a second, approved request
applies by itself after the waiting period."""
import email
import email.policy
import re
import subprocess

import pyotp
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import ARTIFACTS, DEMO_ADMIN, KEFU_BIN, click, console_errors, type_into, wait_for, wait_until
from test_console_login import sign_in, wait_for_path

pytestmark = pytest.mark.each_database

AGENT = ("mei@kefu.example", "agent e2e passphrase")
SUPERVISOR = ("lan@kefu.example", "supervisor e2e passphrase")
CUSTOMER = ("sun.li@example.cn", "钱包密码-Lost-2026!")


@pytest.fixture
def reset_server(relay, make_server):
    controller, _ = relay
    server = make_server()
    server.env.update({"KEFU_SMTP_RELAY": f"smtp://127.0.0.1:{controller.port}", "KEFU_SUPPORT_ADDRESS": "support@kefu.example",
                       "KEFU_PUBLIC_URL": server.url, "KEFU_2FA_RESET_WAIT_HOURS": "0.002"})  # about 7 seconds
    server.cli("migrate")
    for (address, password), role, name in [(AGENT, "agent", "Mei"), (SUPERVISOR, "supervisor", "Lan")]:
        server.cli("admin", "create", "--email", address, "--name", name, "--role", role, stdin=password + "\n")
    server.start()
    yield server


def mail_texts(capture, to):
    texts = []
    for _, recipients, raw in list(capture.messages):
        if to in recipients:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            texts.append((str(message["subject"]), message.get_body(("plain",)).get_content()))
    return texts


def customer_with_two_factor(server):
    """Registers the customer, turns 2FA on with pyotp's codes, and has them write in by mail."""
    address, password = CUSTOMER
    assert requests.post(server.url + "/api/v1/accounts", json={"email": address, "password": password, "locale": "zh-CN"}).status_code == 201
    token = requests.post(server.url + "/api/v1/accounts/sessions", json={"email": address, "password": password}).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    uri = requests.post(server.url + "/api/v1/accounts/me/2fa/setup", headers=auth).json()["otpauthUri"]
    secret = re.search(r"secret=([A-Z2-7]+)", uri).group(1)
    confirmed = requests.post(server.url + "/api/v1/accounts/me/2fa/confirm", headers=auth, json={"code": pyotp.TOTP(secret).now()})
    assert confirmed.status_code == 200, confirmed.text
    mail = (f"From: Sun Li <{address}>\r\nTo: support@kefu.example\r\nSubject: 手机丢了，无法登录\r\n"
            "Message-ID: <lost-phone@example.cn>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "我的手机丢了，验证器和恢复码都没有了。\r\n").encode()
    assert subprocess.run([KEFU_BIN, "ingest-email"], env=server.env, input=mail, capture_output=True, timeout=60).returncode == 0
    agent = server.api_login(*AGENT)
    items = requests.get(server.url + "/api/v1/conversations", headers={"Authorization": f"Bearer {agent}"}).json()["items"]
    return auth, items[0]["id"]


def request_reset(driver, server, conversation, reason):
    driver.get(f"{server.url}/console/conversations/{conversation}")
    click(driver, "[data-testid=request-2fa-reset]")
    type_into(driver, "[data-testid=reset-reason]", reason)
    click(driver, "[data-testid=submit-2fa-reset]")
    wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=flash]"))
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=two-factor-reset]")


def test_a_two_factor_reset_is_approved_cancelled_then_applied(reset_server, relay, browser, browser_zh):
    _, capture = relay
    server = reset_server
    auth, conversation = customer_with_two_factor(server)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # The agent asks; the panel says it waits for a supervisor, and offers them no approve button.
    agent = browser
    sign_in(agent, server, *AGENT)
    wait_for_path(agent, "/console")
    panel = request_reset(agent, server, conversation, "Video call: ID card and selfie match the KYC record.")
    assert panel.get_attribute("data-status") == "awaiting_approval"
    assert agent.find_elements(By.CSS_SELECTOR, "[data-testid=needs-other-supervisor]")
    assert not agent.find_elements(By.CSS_SELECTOR, "[data-testid=approve-2fa-reset]")
    agent.execute_script("document.querySelector('[data-testid=two-factor-reset]').scrollIntoView({block: 'end'})")
    agent.save_screenshot(str(ARTIFACTS / "two-factor-reset-requested.png"))

    # The supervisor (console in Chinese) approves on the 2FA resets page.
    supervisor = browser_zh
    sign_in(supervisor, server, *SUPERVISOR)
    wait_for_path(supervisor, "/console")
    supervisor.get(server.url + "/console/two-factor-resets")
    row = supervisor.find_element(By.CSS_SELECTOR, "[data-testid=reset-row]")
    assert CUSTOMER[0] in row.text and "Video call" in row.text and "待批准" in row.text
    supervisor.save_screenshot(str(ARTIFACTS / "two-factor-resets-page.png"))
    click(supervisor, "[data-testid=approve-2fa-reset]")
    wait_until(supervisor, lambda d: "已批准" in d.find_element(By.CSS_SELECTOR, "[data-testid=flash]").text)
    assert supervisor.find_element(By.CSS_SELECTOR, "[data-testid=reset-row]").get_attribute("data-status") == "scheduled"

    # The customer's mail, in Chinese with the time it applies, cancels it from a browser.
    subject, text = wait_for(lambda: next((m for m in mail_texts(capture, CUSTOMER[0]) if "/account/2fa-reset/cancel" in m[1]), None))
    assert subject == "客服将关闭您的两步验证" and " UTC" in text
    link = re.search(r"(http://\S+/account/2fa-reset/cancel\?token=[A-Za-z0-9_-]+)", text).group(1)
    customer = browser_zh  # the link needs no sign-in: any browser will do
    customer.get(link)
    assert customer.find_elements(By.CSS_SELECTOR, "[data-testid=submit]")  # opening the link alone does nothing
    click(customer, "[data-testid=submit]")
    wait_until(customer, lambda d: "已取消" in d.find_element(By.CSS_SELECTOR, "[data-testid=message]").text)
    assert requests.get(server.url + "/api/v1/accounts/me/2fa-reset", headers=auth).json()["code"] == "two_factor_reset_not_found"
    agent.get(f"{server.url}/console/conversations/{conversation}")
    assert agent.find_element(By.CSS_SELECTOR, "[data-testid=two-factor-reset]").get_attribute("data-status") == "cancelled"

    # Asked again and approved: after the wait it applies by itself; the customer signs in with
    # the password alone, and is told.
    request_reset(agent, server, conversation, "Second call from the registered phone number, same answers.")
    supervisor.get(server.url + "/console/two-factor-resets")
    click(supervisor, "[data-testid=approve-2fa-reset]")
    wait_for(lambda: any(s == "您的两步验证已关闭" for s, _ in mail_texts(capture, CUSTOMER[0])), timeout=40)
    login = requests.post(server.url + "/api/v1/accounts/sessions", json={"email": CUSTOMER[0], "password": CUSTOMER[1]})
    assert login.status_code == 200 and login.json()["account"]["totpEnabled"] is False
    agent.get(f"{server.url}/console/conversations/{conversation}")
    assert agent.find_element(By.CSS_SELECTOR, "[data-testid=two-factor-reset]").get_attribute("data-status") == "applied"
    for driver in (agent, supervisor):
        assert console_errors(driver) == []


def test_the_demo_shows_a_reset_waiting_for_a_supervisor(demo_server, browser):
    """`serve --demo` seeds wallet accounts: 陈静's 2FA reset waits for approval, 李伟 can sign in
    and has a withdrawal on hold."""
    sign_in(browser, demo_server, *DEMO_ADMIN)
    wait_for_path(browser, "/console")
    browser.get(demo_server.url + "/console/two-factor-resets")
    row = browser.find_element(By.CSS_SELECTOR, "[data-testid=reset-row]")
    assert "chen.jing@example.cn" in row.text and row.get_attribute("data-status") == "awaiting_approval"
    assert row.find_elements(By.CSS_SELECTOR, "[data-testid=approve-2fa-reset]")  # the admin did not ask, so may decide
    login = requests.post(demo_server.url + "/api/v1/accounts/sessions", json={"email": "li.wei@example.cn", "password": "Kefu-demo-customer-1"})
    assert login.status_code == 200
    # 李伟's withdrawal to a new address waits in Holds.
    browser.get(demo_server.url + "/console/holds")
    hold = browser.find_element(By.CSS_SELECTOR, "[data-testid=hold]")
    assert "li.wei@example.cn" in hold.text and "1,500.00" in hold.text


def test_a_live_update_keeps_what_the_agent_is_typing(reset_server, browser):
    """The sidebar is redrawn whenever the conversation changes (a customer's message, a mail's
    delivery); a half-written 2FA-reset reason, its open form and the caret survive that."""
    server = reset_server
    _, conversation = customer_with_two_factor(server)
    agent = browser
    sign_in(agent, server, *AGENT)
    wait_for_path(agent, "/console")
    agent.get(f"{server.url}/console/conversations/{conversation}")
    click(agent, "[data-testid=request-2fa-reset]")
    type_into(agent, "[data-testid=reset-reason]", "Video call: ID card")
    sidebar = agent.find_element(By.ID, "sidebar")

    # A colleague's note arrives: the page redraws its live parts, the sidebar among them.
    token = server.api_login(*SUPERVISOR)
    posted = requests.post(f"{server.url}/api/v1/conversations/{conversation}/messages", headers={"Authorization": f"Bearer {token}"},
                           json={"text": "Checking the KYC record now.", "private": True}, timeout=10)
    assert posted.status_code == 201, posted.text
    wait_until(agent, lambda d: "Checking the KYC record now." in d.find_element(By.ID, "messages").text)
    wait_until(agent, EC.staleness_of(sidebar))

    reason = agent.find_element(By.CSS_SELECTOR, "[data-testid=reset-reason]")
    assert reason.get_attribute("value") == "Video call: ID card"
    assert agent.execute_script("return document.querySelector('details.two-factor-reset-request').open")
    assert agent.execute_script("return document.activeElement.dataset.testid") == "reset-reason"
    # The agent types on where they were, and the whole reason is what gets asked.
    # (Looked up again if yet another live update swaps the sidebar meanwhile: a clean-clone CI
    # run once found the focused field replaced between the lookup and the keys.)
    type_into(agent, "[data-testid=reset-reason]", " and selfie match the KYC record.")
    click(agent, "[data-testid=submit-2fa-reset]")
    wait_until(agent, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=flash]"))
    panel = agent.find_element(By.CSS_SELECTOR, "[data-testid=two-factor-reset]")
    assert "Video call: ID card and selfie match the KYC record." in panel.text
