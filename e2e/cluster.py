"""Several Kefu instances on one PostgreSQL behind nginx, as docs/deployment.md runs them: one
database, one shared data directory (attachments), one secret key, KEFU_TRUST_PROXY, and nginx
spreading requests and WebSocket upgrades over the instances without stickiness."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from conftest import KefuServer, create_postgres_database, free_port, psql

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = ROOT / "docs" / "deployment" / "nginx.conf"


def await_health(url, timeout, process, describe):
    """Waits for `GET url/healthz` to answer 200; fails with `describe()` if `process` exits or time runs out."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise AssertionError("exited: " + describe())
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError("never healthy: " + describe())


class Cluster:
    def __init__(self, size=3, env=None, instance_env=None):
        """`env` applies to every instance; `instance_env(index)` adds to one (its SMTP port, say)."""
        self.database_url, self.database_name = create_postgres_database()
        self.dir = Path(tempfile.mkdtemp(prefix="kefu-cluster-"))
        self.shared_data = self.dir / "shared-data"
        self.shared_data.mkdir()
        self.secret_key = os.urandom(32).hex()
        self.proxy_port = free_port()
        self.url = f"http://127.0.0.1:{self.proxy_port}"
        self.instances = []
        for _ in range(size):
            server = KefuServer(database_url=self.database_url, backend="postgres")
            server.env.update({
                "KEFU_DATA_DIR": str(self.shared_data),
                "KEFU_SECRET_KEY": self.secret_key,
                "KEFU_TRUST_PROXY": "true",
                "KEFU_PUBLIC_URL": self.url,
                **(env or {}),
                **(instance_env(len(self.instances)) if instance_env else {}),
            })
            self.instances.append(server)
        self.nginx = None

    # Instances

    def start(self):
        """Starts every instance at once on the empty database (they migrate in turn), then nginx."""
        for server in self.instances:
            self._spawn(server)
        for server in self.instances:
            self._wait_healthy(server)
        self.start_proxy()
        return self

    def _spawn(self, server):
        server.log = open(server.dir / "server.log", "a")
        server.process = subprocess.Popen([os.environ.get("KEFU_BIN", str(ROOT / ".build" / "debug" / "kefu")), "serve"],
                                          env=server.env, stdout=server.log, stderr=subprocess.STDOUT)

    @staticmethod
    def _wait_healthy(server, timeout=60):
        log = server.dir / "server.log"
        await_health(server.url, timeout, process=server.process, describe=lambda: "kefu: " + log.read_text()[-4000:])

    def kill(self, index):
        """kill -9: no drain, no goodbye."""
        server = self.instances[index]
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=10)

    def restart(self, index, timeout=30):
        """A graceful restart: SIGTERM, wait for the exit, start again on the same port."""
        server = self.instances[index]
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=timeout)
        exit_code = server.process.returncode
        self._spawn(server)
        self._wait_healthy(server)
        return exit_code

    def revive(self, index):
        """Starts a killed instance again."""
        self._spawn(self.instances[index])
        self._wait_healthy(self.instances[index])

    def cli(self, *args, stdin=None):
        return self.instances[0].cli(*args, stdin=stdin)

    def logs(self):
        return "\n".join(f"--- instance {i}\n" + (s.dir / "server.log").read_text()[-3000:] for i, s in enumerate(self.instances))

    # The proxy

    def start_proxy(self):
        prefix = self.dir / "nginx"
        (prefix / "logs").mkdir(parents=True, exist_ok=True)
        upstreams = "\n".join(f"        server 127.0.0.1:{s.port} max_fails=1 fail_timeout=2s;" for s in self.instances)
        config = NGINX_TEMPLATE.read_text()
        # The documented configuration, with this test's ports and a writable prefix.
        config = config.replace("        server 127.0.0.1:8081 max_fails=1 fail_timeout=2s;\n"
                                "        server 127.0.0.1:8082 max_fails=1 fail_timeout=2s;\n"
                                "        server 127.0.0.1:8083 max_fails=1 fail_timeout=2s;", upstreams)
        config = config.replace("listen 80;", f"listen 127.0.0.1:{self.proxy_port};")
        config = config.replace("pid /run/nginx-kefu.pid;", f"pid {prefix}/nginx.pid;")
        config = config.replace("/var/log/nginx/", f"{prefix}/logs/")
        # Temporary files under the prefix (the packaged paths need root).
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (prefix / "tmp" / name).mkdir(parents=True, exist_ok=True)
        directives = {"client_body": "body", "proxy": "proxy", "fastcgi": "fastcgi", "uwsgi": "uwsgi", "scgi": "scgi"}
        config = config.replace("http {\n", "http {\n" + "".join(
            f"    {name}_temp_path {prefix}/tmp/{folder};\n" for name, folder in directives.items()), 1)
        if os.geteuid() == 0:
            config = config.replace("user www-data;", "user root;")
        else:
            config = config.replace("user www-data;", "")
        path = prefix / "nginx.conf"
        path.write_text(config)
        self.nginx = subprocess.Popen(["nginx", "-p", str(prefix), "-c", str(path), "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=open(prefix / "logs" / "stderr.log", "w"))
        await_health(self.url, 20, process=self.nginx, describe=lambda: "nginx: " + (prefix / "logs" / "stderr.log").read_text())

    def close(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
        for server in self.instances:
            server.stop()
        psql(f"DROP DATABASE IF EXISTS {self.database_name} WITH (FORCE)")
        shutil.rmtree(self.dir, ignore_errors=True)
