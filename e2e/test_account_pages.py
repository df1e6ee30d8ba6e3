"""A wallet customer's whole account life in Chromium, with mail through a real SMTP relay:
register, verify, sign in, forget the password, follow the mailed link, a weak then a strong
password, enrol TOTP (codes from pyotp, an independent implementation), sign in with 2FA, then
with a recovery code."""
import email
import email.policy
import re

import pyotp
import pytest
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, click, console_errors, wait_for, wait_until

pytestmark = pytest.mark.each_database


@pytest.fixture
def account_server(relay, make_server):
    controller, _ = relay
    server = make_server()
    server.env.update({"KEFU_SMTP_RELAY": f"smtp://127.0.0.1:{controller.port}", "KEFU_SUPPORT_ADDRESS": "support@kefu.example",
                       "KEFU_PUBLIC_URL": f"http://127.0.0.1:{server.port}"})
    server.start()
    yield server


def mailed_link(capture, path, count):
    """The link in mail number `count` (1-based) that reached the relay."""
    raw = wait_for(lambda: len(capture.messages) >= count and capture.messages[count - 1][2], timeout=20)
    text = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()
    return re.search(r"(http://\S+" + re.escape(path) + r"\?token=[A-Za-z0-9_-]+)", text).group(1)


def fill(driver, **fields):
    for name, value in fields.items():
        # The form may belong to a page still loading (after a sign-out or a submit).
        element = wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"[data-testid=field-{name}]"))
        element.clear()
        element.send_keys(value)
    click(driver, "[data-testid=submit]")


def sign_out(driver):
    # Wait for the sign-in page: a next driver.get racing the sign-out's redirect can lose to it.
    click(driver, "form[action='/account/logout'] button")
    wait_until(driver, lambda d: d.current_url.split("?")[0].endswith("/account/login"))


def test_a_customer_registers_resets_and_uses_two_factor(account_server, relay, browser_zh):
    _, capture = relay
    driver = browser_zh
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    server = account_server.url
    driver.get(server + "/account/register")
    fill(driver, email="wang.fang@example.cn", password="钱包密码-2026!")
    wait_until(driver, lambda d: "请查收邮件" in d.find_element(By.CSS_SELECTOR, "[data-testid=message]").text)

    driver.get(mailed_link(capture, "/account/verify", 1))
    click(driver, "[data-testid=submit]")  # opening the link verifies nothing: the page's button does
    wait_until(driver, lambda d: "邮箱已验证" in d.find_element(By.CSS_SELECTOR, "[data-testid=message]").text)
    fill(driver, email="wang.fang@example.cn", password="钱包密码-2026!")
    wait_until(driver, lambda d: d.current_url.endswith("/account"))
    assert "已验证" in driver.find_element(By.TAG_NAME, "main").text
    sign_out(driver)

    # Forgot the password: the link arrives through the relay.
    driver.get(server + "/account/forgot")
    fill(driver, email="wang.fang@example.cn")
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=message]"))
    driver.get(mailed_link(capture, "/account/reset", 2))
    fill(driver, password="password", confirm="password")
    errors = wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=error]")).text
    assert "至少 10 个字符" in errors and "最常见的密码" in errors and "需要包含数字" in errors
    driver.save_screenshot(str(ARTIFACTS / "account-reset-rules.png"))
    fill(driver, password="新的长密码-Secure-77", confirm="新的长密码-Secure-77")
    wait_until(driver, lambda d: "新密码已设置" in d.find_element(By.CSS_SELECTOR, "[data-testid=message]").text)

    # Sign in with it; turn 2FA on with a code computed by pyotp.
    fill(driver, email="wang.fang@example.cn", password="新的长密码-Secure-77")
    wait_until(driver, lambda d: d.current_url.endswith("/account"))
    assert driver.find_elements(By.CSS_SELECTOR, "[data-testid=withdrawal-lock]")
    click(driver, "[data-testid=setup-2fa]")
    key = wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=manual-key]")).text.replace(" ", "")
    totp = pyotp.TOTP(key)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=field-code]").send_keys(totp.now())
    click(driver, "[data-testid=confirm-2fa]")
    codes = wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=recovery-codes] code"))
    recovery = [c.text for c in codes]
    assert len(recovery) == 10
    driver.save_screenshot(str(ARTIFACTS / "account-security.png"))
    sign_out(driver)

    # Without the code: refused, without saying which factor was wrong. With it: in.
    fill(driver, email="wang.fang@example.cn", password="新的长密码-Secure-77", otp="")
    assert wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=error]").text)
    next_code = totp.at(__import__("time").time() + 30)  # the enrolling code's step is spent
    fill(driver, email="wang.fang@example.cn", password="新的长密码-Secure-77", otp=next_code)
    wait_until(driver, lambda d: d.current_url.endswith("/account"))
    sign_out(driver)
    # A lost phone: a recovery code works, once.
    fill(driver, email="wang.fang@example.cn", password="新的长密码-Secure-77", otp=recovery[0])
    wait_until(driver, lambda d: d.current_url.endswith("/account"))
    assert "剩余恢复码: 9" in driver.find_element(By.CSS_SELECTOR, "[data-testid='2fa-on']").text
    # On a phone the page fits the screen: nothing scrolls sideways.
    driver.set_window_size(390, 844)
    wait_until(driver, lambda d: d.execute_script("return window.innerWidth") <= 400)
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    driver.save_screenshot(str(ARTIFACTS / "account-security-phone.png"))
    # Answered on purpose: the weak password (400) and the sign-in without its code (401).
    assert console_errors(driver, expected=[(400, "/account/reset"), (401, "/account/login")]) == []
