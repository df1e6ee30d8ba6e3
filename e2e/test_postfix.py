"""Debian's Postfix on both sides of Kefu, as a wallet company would run it: Postfix receives the
customer's mail and pipes it to `kefu ingest-email`; Kefu's outbox hands replies to Postfix,
which relays them on (here to a capturing SMTP server standing in for the customer's provider).
A conversation goes customer mail → acknowledgement → agent reply → customer reply, all one."""
import email
import email.policy
import os
import shutil
import smtplib
import subprocess
import tempfile
import time
from email.header import Header
from email.mime.text import MIMEText
from pathlib import Path

import requests

from conftest import KEFU_BIN, KefuServer, free_port, wait_for

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")


def start_postfix(root, port, kefu_env, relay_port):
    """A private Postfix instance on a loopback port (foreground, logging to its stdout)."""
    conf, queue, data = root / "conf", root / "queue", root / "data"
    os.chmod(root, 0o755)  # Postfix's own user walks into its data directory
    for directory in (conf, queue, data):
        directory.mkdir(parents=True)
    shutil.chown(data, "postfix")
    env = " ".join(f"{name}={value}" for name, value in kefu_env.items())
    master = (Path("/etc/postfix/master.cf").read_text()
              .replace("smtp      inet  n       -       y       -       -       smtpd", f"127.0.0.1:{port} inet n - n - - smtpd"))
    master += (f"kefu unix - n n - - pipe\n"
               f"  flags=Rq user=nobody argv=/usr/bin/env {env} {KEFU_BIN} ingest-email --sender ${{sender}} --recipient ${{recipient}}\n")
    (conf / "master.cf").write_text(master)
    (conf / "main.cf").write_text(f"""compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.kefu.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains = kefu.example, example.cn
transport_maps = texthash:{conf}/transport
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtp_tls_security_level = none
smtputf8_enable = no
maillog_file = /dev/stdout
kefu_destination_recipient_limit = 1
""")
    (conf / "transport").write_text(f"kefu.example kefu:\nexample.cn smtp:[127.0.0.1]:{relay_port}\n")
    log = open(root / "postfix.log", "w")
    process = subprocess.Popen(["postfix", "-c", str(conf), "start-fg"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=2) as probe:
                probe.noop()
            return process
        except OSError:
            time.sleep(0.2)
    raise AssertionError("postfix did not start: " + (root / "postfix.log").read_text())


def test_postfix_pipes_in_and_relays_out(relay):
    assert shutil.which("postfix"), "scripts/test installs Debian's postfix"
    controller, sink = relay
    root = Path(tempfile.mkdtemp(prefix="kefu-postfix-"))
    postfix_port = free_port()
    server = KefuServer()
    # The pipe runs as an unprivileged user: it must be able to write Kefu's files.
    os.chmod(server.dir, 0o777)
    server.env.update({"KEFU_SUPPORT_ADDRESS": "support@kefu.example", "KEFU_SMTP_RELAY": f"smtp://127.0.0.1:{postfix_port}"})
    kefu_env = {name: server.env[name] for name in ("KEFU_DATABASE_URL", "KEFU_DATA_DIR", "KEFU_SUPPORT_ADDRESS")}
    old_umask = os.umask(0)  # files Kefu creates (database, WAL, blobs) are writable by the pipe's user
    postfix = None
    try:
        server.cli("migrate")
        server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
        server.start()
        # SQLite creates its files 0644 whatever the umask: open them to the pipe's user.
        for path in server.dir.glob("kefu.sqlite*"):
            os.chmod(path, 0o666)
        os.umask(old_umask)  # Postfix insists on its own files being private
        postfix = start_postfix(root, postfix_port, kefu_env, controller.port)
        token = server.api_login(*ADMIN)
        auth = {"Authorization": f"Bearer {token}"}

        message = MIMEText("您好，我的账户被风控冻结了，UID 5566。\n", "plain", "gb2312")
        message["Subject"] = Header("账户被冻结", "gb2312")
        message["From"] = "liu.yang@example.cn"
        message["To"] = "support@kefu.example"
        message["Message-ID"] = "<pf.1@example.cn>"
        with smtplib.SMTP("127.0.0.1", postfix_port, timeout=10) as smtp:
            smtp.send_message(message)

        conversations = wait_for(lambda: requests.get(server.url + "/api/v1/conversations", headers=auth, timeout=10).json()["items"],
                                 timeout=30)
        conversation = conversations[0]
        assert conversation["subject"] == "账户被冻结"

        # The acknowledgement leaves through Postfix and reaches the customer's side.
        ack = email.message_from_bytes(wait_for(lambda: sink.messages and sink.messages[0][2], timeout=30), policy=email.policy.default)
        assert ack["In-Reply-To"] == "<pf.1@example.cn>"
        assert ack["Auto-Submitted"] == "auto-replied"

        reply = requests.post(f"{server.url}/api/v1/conversations/{conversation['id']}/messages", headers=auth,
                              json={"text": "您好，已为您解除冻结。"}, timeout=10)
        assert reply.status_code == 201
        answer = email.message_from_bytes(wait_for(lambda: len(sink.messages) >= 2 and sink.messages[1][2], timeout=30),
                                          policy=email.policy.default)
        assert "已为您解除冻结" in answer.get_body(("plain",)).get_content()

        # The customer answers: back through Postfix and the pipe, into the same conversation.
        follow_up = MIMEText("谢谢，已经可以提现了。\n", "plain", "utf-8")
        follow_up["Subject"] = "Re: " + answer["Subject"]
        follow_up["From"] = "liu.yang@example.cn"
        follow_up["To"] = "support@kefu.example"
        follow_up["Message-ID"] = "<pf.2@example.cn>"
        follow_up["In-Reply-To"] = answer["Message-ID"]
        with smtplib.SMTP("127.0.0.1", postfix_port, timeout=10) as smtp:
            smtp.send_message(follow_up)
        path = f"{server.url}/api/v1/conversations/{conversation['id']}/messages"
        wait_for(lambda: any("已经可以提现" in m["text"] for m in requests.get(path, headers=auth, timeout=10).json()["items"]), timeout=30)
        assert len(requests.get(server.url + "/api/v1/conversations", headers=auth, timeout=10).json()["items"]) == 1
    finally:
        os.umask(old_umask)
        if postfix:
            postfix.terminate()
            postfix.wait(timeout=20)
        server.stop()
