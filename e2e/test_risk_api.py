"""The decision service as the wallet's backend meets it: an operator makes a service token with
`kefu admin token --scope risk`, a supervisor sets the customer's tier, and the backend asks
before each withdrawal over HTTP against the real binary."""
import requests

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
