"""The decision service as the wallet's backend meets it: an operator makes a service token with
`kefu admin token --scope risk`, a supervisor sets the customer's tier, and the backend asks
before each withdrawal over HTTP against the real binary."""
import email
import email.policy
import subprocess

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, KEFU_BIN, click, console_errors, wait_for, wait_until
from test_console_login import sign_in, wait_for_path

pytestmark = pytest.mark.each_database

CUSTOMER = ("liu.yang@example.cn", "钱包密码-Limits-2026!")


def test_the_wallet_backend_asks_with_a_cli_made_token(fresh_server):
    server = fresh_server
    refused = server.cli("admin", "token", "--scope", "everything", check=False)
    assert refused.returncode != 0 and "--scope" in refused.stderr
    token = server.cli("admin", "token", "--scope", "risk", "--name", "wallet backend").stdout.strip()
    assert token.startswith("kfs_") and len(token) > 40
    service = {"Authorization": f"Bearer {token}"}

    assert requests.post(server.url + "/api/v1/accounts", json={"email": CUSTOMER[0], "password": CUSTOMER[1], "locale": "zh-CN"}).status_code == 201
    session = requests.post(server.url + "/api/v1/accounts/sessions", json={"email": CUSTOMER[0], "password": CUSTOMER[1]}).json()
    account = session["account"]["id"]
    ask = lambda value, key: requests.post(
        f"{server.url}/api/v1/accounts/{account}/authorizations", headers=service,
        json={"kind": "withdrawal", "asset": "USDT", "amount": value, "valueUsd": value, "idempotencyKey": key, "destination": "TQ1x"})

    first = ask("800", "w-1")
    assert first.status_code == 201 and first.json()["code"] == "not_allowed_for_tier"
    assert "认证等级" in first.json()["message"]

    admin = {"Authorization": f"Bearer {server.api_login('ops@kefu.example', 'e2e-admin-passphrase')}"}
    assert requests.patch(f"{server.url}/api/v1/accounts/{account}", headers=admin, json={"tier": 1}).json()["tier"] == 1
    second = ask("800", "w-2").json()
    assert second["decision"] == "approved", second
    assert (second["limit"], second["used"], second["remaining"]) == ("10000", "800", "9200")
    assert ask("800", "w-2").json()["replayed"] is True
    # A forged or revoked token is nobody.
    assert requests.post(f"{server.url}/api/v1/accounts/{account}/authorizations", headers={"Authorization": "Bearer kfs_x"},
                         json={}).json()["code"] == "unauthenticated"


def test_a_held_withdrawal_is_released_by_an_agent_and_the_customer_told(relay, make_server, browser_zh):
    controller, capture = relay
    server = make_server()
    server.env.update({"KEFU_SMTP_RELAY": f"smtp://127.0.0.1:{controller.port}", "KEFU_SUPPORT_ADDRESS": "support@kefu.example"})
    server.cli("migrate")
    server.cli("admin", "create", "--email", "lan@kefu.example", "--name", "Lan", "--role", "supervisor", stdin="supervisor e2e passphrase\n")
    server.start()
    token = server.cli("admin", "token", "--scope", "risk").stdout.strip()
    address, password = ("zhao.lei@example.cn", "钱包密码-Holds-2026!")
    requests.post(server.url + "/api/v1/accounts", json={"email": address, "password": password, "locale": "zh-CN"})
    account = requests.post(server.url + "/api/v1/accounts/sessions", json={"email": address, "password": password}).json()["account"]["id"]
    supervisor = {"Authorization": f"Bearer {server.api_login('lan@kefu.example', 'supervisor e2e passphrase')}"}
    assert requests.patch(f"{server.url}/api/v1/accounts/{account}", headers=supervisor, json={"tier": 2}).status_code == 200
    held = requests.post(f"{server.url}/api/v1/accounts/{account}/authorizations", headers={"Authorization": f"Bearer {token}"},
                         json={"kind": "withdrawal", "asset": "BTC", "amount": "0.025", "valueUsd": "1500",
                               "destination": "bc1qnewaddress", "idempotencyKey": "wd-7"}).json()
    assert held["decision"] == "held" and held["code"] == "new_destination", held
    assert "人工审核" in held["message"]

    driver = browser_zh
    sign_in(driver, server, "lan@kefu.example", "supervisor e2e passphrase")
    wait_for_path(driver, "/console")
    click(driver, "[data-testid=nav-holds]")
    card = wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=hold]"))
    assert address in card.text and "1,500.00 USD" in card.text
    assert [e.text for e in card.find_elements(By.CSS_SELECTOR, "[data-testid=hold-rule]")] == ["新提现地址"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "holds-page.png"))
    # A release without a note is refused by the browser and by the server alike.
    click(driver, "[data-testid=release-hold]")
    assert driver.find_elements(By.CSS_SELECTOR, "[data-testid=hold]")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=hold-note]").send_keys("已电话联系客户，确认是本人提现到新地址。")
    click(driver, "[data-testid=release-hold]")
    wait_until(driver, lambda d: "已放行" in d.find_element(By.CSS_SELECTOR, "[data-testid=flash]").text)
    assert driver.find_elements(By.CSS_SELECTOR, "[data-testid=no-holds]")

    # The wallet sees the outcome; the customer is told in Chinese, with nothing to click.
    status = requests.get(f"{server.url}/api/v1/accounts/{account}/authorizations/{held['id']}", headers={"Authorization": f"Bearer {token}"})
    assert status.json()["status"] == "released"

    def told():
        for _, recipients, raw in list(capture.messages):
            message = email.message_from_bytes(raw, policy=email.policy.default)
            if address in recipients and "通过审核" in str(message["subject"]):
                return message.get_body(("plain",)).get_content()
    text = wait_for(told, timeout=30)
    assert "1,500.00 美元" in text
    assert console_errors(driver) == []


def test_an_admin_edits_the_limits_and_an_agent_pastes_them(fresh_server, browser):
    server = fresh_server
    token = server.cli("admin", "token", "--scope", "risk").stdout.strip()
    requests.post(server.url + "/api/v1/accounts", json={"email": "wu.fan@example.cn", "password": "钱包密码-Editor-2026!", "locale": "zh-CN"})
    account = requests.post(server.url + "/api/v1/accounts/sessions",
                            json={"email": "wu.fan@example.cn", "password": "钱包密码-Editor-2026!"}).json()["account"]["id"]
    admin_api = {"Authorization": f"Bearer {server.api_login('ops@kefu.example', 'e2e-admin-passphrase')}"}
    requests.patch(f"{server.url}/api/v1/accounts/{account}", headers=admin_api, json={"tier": 1})

    driver = browser
    sign_in(driver, server, "ops@kefu.example", "e2e-admin-passphrase")
    wait_for_path(driver, "/console")
    driver.get(server.url + "/console/admin")
    click(driver, "[data-testid=admin-limits]")
    field = wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=tier1_withdrawal_perTransaction]"))
    field.clear()
    field.send_keys("12000")  # above the 24-hour cap of 10,000
    click(driver, "[data-testid=save-policy]")
    wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=policy-problems]"))
    assert "must not be above the 24-hour cap" in driver.find_element(By.TAG_NAME, "main").text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "limits-admin-problem.png"))
    field = driver.find_element(By.CSS_SELECTOR, "[data-testid=tier1_withdrawal_perTransaction]")
    field.clear()
    field.send_keys("8000")
    click(driver, "[data-testid=save-policy]")
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=flash]"))
    decision = requests.post(f"{server.url}/api/v1/accounts/{account}/authorizations", headers={"Authorization": f"Bearer {token}"},
                             json={"kind": "withdrawal", "asset": "USDT", "amount": "7000", "valueUsd": "7000", "idempotencyKey": "e-1"}).json()
    assert decision["decision"] == "approved" and decision["perTransactionLimit"] == "8000", decision

    # The customer writes in; the agent pastes the limits, in the customer's language, into the reply.
    mail = ("From: wu.fan@example.cn\r\nTo: support@localhost\r\nSubject: 额度\r\nMessage-ID: <limits@example.cn>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n我还能提现多少？\r\n").encode()
    assert subprocess.run([KEFU_BIN, "ingest-email"], env=server.env, input=mail, capture_output=True, timeout=60).returncode == 0
    conversation = requests.get(server.url + "/api/v1/conversations", headers=admin_api).json()["items"][0]["id"]
    driver.get(f"{server.url}/console/conversations/{conversation}")
    limits = driver.find_element(By.CSS_SELECTOR, "[data-testid=account-limits]")
    assert "3,000.00 / 10,000.00" in limits.text
    click(driver, "[data-testid=paste-limits]")
    pasted = driver.find_element(By.ID, "reply-text").get_attribute("value")
    assert "提现：单笔最多 8,000.00 美元；24 小时额度 10,000.00 美元，已用 7,000.00 美元，剩余 3,000.00 美元" in pasted
    # The refused policy answered 400 on purpose (the form shown again with its problems).
    assert console_errors(driver, expected=[(400, "/console/admin/limits")]) == []
