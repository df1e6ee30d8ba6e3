"""The first user flow: an agent signs in to the console in real Chromium, with and without 2FA."""
import subprocess
import tempfile
import time

import pyotp
from selenium.webdriver.common.by import By

from conftest import DEMO_ADMIN, click, console_errors, wait_until


def sign_in(driver, server, email, password):
    driver.get(server.url + "/console/login")
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def wait_for_path(driver, path):
    wait_until(driver, lambda d: d.current_url.split("?")[0].endswith(path))


def sign_out(driver):
    driver.find_element(By.CSS_SELECTOR, "form[action='/console/logout'] button").click()
    wait_for_path(driver, "/console/login")


def decode_qr(element):
    """Reads the QR code on screen the way a phone would: a picture, decoded by zbar."""
    with tempfile.NamedTemporaryFile(suffix=".png") as image:
        image.write(element.screenshot_as_png)
        image.flush()
        result = subprocess.run(["zbarimg", "--raw", "-q", image.name], capture_output=True, text=True)
    assert result.returncode == 0, "zbarimg could not read the QR code"
    return result.stdout.strip()


def test_demo_admin_signs_in_and_sees_the_seeded_inbox(demo_server, browser):
    sign_in(browser, demo_server, *DEMO_ADMIN)
    wait_for_path(browser, "/console")
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=conversation-list] li")
    assert len(rows) >= 5
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=agent-name]").text == "王敏 Wang Min"
    # Alerts are opt-in and remembered. (The page's script runs after the page is parsed: wait
    # for it before clicking, or the click lands before the button has its handler.)
    wait_until(browser, lambda d: d.execute_script("return document.readyState") == "complete")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=notify]").text == "Alerts off"
    browser.find_element(By.CSS_SELECTOR, "[data-testid=notify]").click()
    wait_until(browser, lambda d: "Alerts on" in d.find_element(By.CSS_SELECTOR, "[data-testid=notify]").text)
    browser.refresh()
    assert "Alerts on" in browser.find_element(By.CSS_SELECTOR, "[data-testid=notify]").text
    # The list is live (it may be swapped while we click): click and count through retries.
    click(browser, "All", by="link text")
    wait_until(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=conversation-list] li")) == 12)
    assert console_errors(browser) == []


def test_wrong_password_is_refused_without_console_errors(demo_server, browser):
    sign_in(browser, demo_server, DEMO_ADMIN[0], "not the password")
    assert "/console/login" in browser.current_url
    assert "incorrect" in browser.find_element(By.CSS_SELECTOR, "[data-testid=error]").text
    # The 401 page itself logs a failed-resource error in Chromium; nothing else may.
    assert console_errors(browser, expected=[(401, "/console/login")]) == []


def test_agent_enrols_2fa_from_the_qr_code_and_signs_in_with_a_code(fresh_server, browser):
    sign_in(browser, fresh_server, "ops@kefu.example", "e2e-admin-passphrase")
    wait_for_path(browser, "/console")
    browser.get(fresh_server.url + "/console/profile")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=setup-2fa]").click()
    uri = decode_qr(browser.find_element(By.CSS_SELECTOR, "[data-testid=qr] svg"))
    assert uri.startswith("otpauth://totp/Kefu:ops@kefu.example?secret=")
    totp = pyotp.parse_uri(uri)
    browser.find_element(By.NAME, "code").send_keys(totp.now())
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/profile/2fa/confirm'] button").click()
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid='2fa-on']").is_displayed()
    assert console_errors(browser) == []
    sign_out(browser)

    sign_in(browser, fresh_server, "ops@kefu.example", "e2e-admin-passphrase")
    wait_for_path(browser, "/console/login/2fa")
    # The code used to enrol cannot be replayed; the next step's code is within the allowed drift.
    browser.find_element(By.NAME, "code").send_keys(totp.at(time.time() + 30))
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_path(browser, "/console")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=empty]").is_displayed()
    assert console_errors(browser) == []
