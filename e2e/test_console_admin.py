"""An admin runs the team from the console: invites an agent, requires 2FA, disables an agent."""
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import console_errors, unique_email
from test_console_login import sign_in, sign_out, wait_for_path


def test_invite_require_2fa_and_disable(fresh_server, browser):
    sign_in(browser, fresh_server, "ops@kefu.example", "e2e-admin-passphrase")
    wait_for_path(browser, "/console")
    browser.get(fresh_server.url + "/console/admin")
    email = unique_email("invited")
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/admin/agents'] input[name=email]").send_keys(email)
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/admin/agents'] input[name=name]").send_keys("张伟 Zhang Wei")
    Select(browser.find_element(By.CSS_SELECTOR, "form[action='/console/admin/agents'] select[name=role]")).select_by_value("agent")
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/admin/agents'] button").click()
    password = browser.find_element(By.CSS_SELECTOR, "[data-testid=one-time-password]").text
    assert len(password) == 23
    assert email in browser.find_element(By.CSS_SELECTOR, "[data-testid=agents]").text

    browser.find_element(By.NAME, "require_2fa").click()
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/admin/security'] button").click()
    # The requirement holds for the admin too, who has no 2FA yet: on to the profile to enrol.
    wait_for_path(browser, "/console/profile")
    assert browser.find_element(By.CSS_SELECTOR, "[role=alert]").is_displayed()
    assert console_errors(browser) == []
    sign_out(browser)

    # The invited agent first replaces the one-time password, then must enrol in 2FA.
    sign_in(browser, fresh_server, email, password)
    wait_for_path(browser, "/console/profile")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=must-change-password]").is_displayed()
    own_password = "spring tea by the river"
    browser.find_element(By.NAME, "current_password").send_keys(password)
    browser.find_element(By.NAME, "new_password").send_keys(own_password)
    browser.find_element(By.NAME, "confirm_password").send_keys(own_password)
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/profile/password'] button").click()
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=flash]").is_displayed()
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=must-change-password]") == []
    assert browser.find_element(By.CSS_SELECTOR, "[role=alert]").is_displayed()
    browser.get(fresh_server.url + "/console")
    wait_for_path(browser, "/console/profile")
    assert console_errors(browser) == []
    sign_out(browser)
    password = own_password

    # Until they enrol, even the admin can only enrol, through the API as well.
    token = fresh_server.api_login("ops@kefu.example", "e2e-admin-passphrase")
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(fresh_server.url + "/api/v1/conversations", headers=headers, timeout=10).json()["code"] == "two_factor_enrollment_required"
    assert requests.patch(fresh_server.url + "/api/v1/settings/security", json={"requireTwoFactor": False}, headers=headers, timeout=10).status_code == 403
    # The operator's CLI still works, and a disabled agent cannot sign in.
    fresh_server.cli("admin", "disable", "--email", email)
    sign_in(browser, fresh_server, email, password)
    assert "incorrect" in browser.find_element(By.CSS_SELECTOR, "[data-testid=error]").text
