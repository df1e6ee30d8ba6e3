"""A Kefu server with one admin signed in over the API, and a customer opening the chat widget
on a wallet's page: the start of the trust-and-safety tests."""
import requests
from selenium.webdriver.common.by import By

from conftest import serve_host_page

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")


def api(server, method, path, **kwargs):
    return requests.request(method, server.url + "/api/v1" + path, headers=server.auth, timeout=20, **kwargs)


def start(make_server, **env):
    """Migrates, creates the admin, serves with the support address set; `server.auth` signs API calls."""
    server = make_server()
    server.env.update({"KEFU_SUPPORT_ADDRESS": "support@kefu.example", **env})
    server.cli("migrate")
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    server.start()
    server.auth = {"Authorization": f"Bearer {server.api_login(*ADMIN)}"}
    return server


def open_widget(driver, host, name, email=None):
    """Opens the widget on the host page and starts a chat with the pre-chat form filled."""
    driver.get(f"http://127.0.0.1:{host.server_address[1]}/")
    driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe[data-kefu-widget]"))
    driver.find_element(By.CSS_SELECTOR, "[data-testid=launcher]").click()
    driver.find_element(By.NAME, "name").send_keys(name)
    if email:
        driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=prechat] button").click()


def chat_on_a_page(server, lang="zh-CN"):
    """A web-chat inbox and a wallet's page (another origin) carrying its widget; shut the page's
    server down after."""
    inbox = api(server, "POST", "/inboxes", json={"name": "Chat", "kind": "webchat"}).json()
    host = serve_host_page(server.url, lambda: f'<script src="{server.url}/widget.js" data-inbox="{inbox["id"]}" data-lang="{lang}" async></script>')
    return inbox, host
