"""The real sidecar jar as a child process, for the integration tests: started on port 0, its bound
addresses read from its log, stopped with SIGTERM (as Kubernetes stops it)."""
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import time
from typing import List, Optional

import httpx

REPO = pathlib.Path(__file__).resolve().parents[4]
LISTENING = re.compile(r"listening read=([^\s\"]+) ops=([^\s\"]+)")
METRIC = re.compile(r'^(\w+)\{([^}]*)\}\s+([0-9.eE+-]+)$')


def jar() -> Optional[pathlib.Path]:
    """CROSSFADE_JAR, else the sidecar module's build output; None when neither exists."""
    path = pathlib.Path(os.environ.get("CROSSFADE_JAR", REPO / "sidecar" / "target" / "crossfade-sidecar.jar"))
    return path if path.is_file() else None


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    return str(pathlib.Path(home) / "bin" / "java") if home else "java"


class Sidecar:
    """One running ``crossfade serve``; :meth:`restart` brings it back on the same read port."""

    def __init__(self, settings: pathlib.Path, state: pathlib.Path, *extra: str, read_port: int = 0):
        self.settings, self.state, self.extra = settings, state, extra
        self.log = pathlib.Path(tempfile.mkstemp(prefix="crossfade-sidecar-", suffix=".log")[1])
        command = [java(), "-Xmx256m", "-jar", str(jar()), "serve", "--settings", str(settings), "--state", str(state),
                   "--listen", "127.0.0.1:%d" % read_port, "--ops-listen", "127.0.0.1:0", *extra]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120  # a JVM starts slowly on a loaded 2-core machine
        while True:
            m = LISTENING.search(self.output())
            if m:
                break
            if self.process.poll() is not None:
                raise RuntimeError("sidecar exited %s during start-up:\n%s" % (self.process.returncode, self.output()))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("sidecar did not report its addresses within 120 s:\n" + self.output())
            time.sleep(0.1)
        self.read = "http://" + m.group(1)
        self.ops = "http://" + m.group(2)
        self.read_port = int(m.group(1).rsplit(":", 1)[1])
        self.http = httpx.Client(timeout=10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def get(self, path: str, **params) -> httpx.Response:
        return self.http.get(self.read + path, params=params)

    def token(self) -> str:
        return (self.state / "admin.token").read_text().strip()

    def admin_get(self, path: str) -> dict:
        r = self.http.get(self.ops + path, headers={"Authorization": "Bearer " + self.token()})
        assert r.status_code == 200, r.text
        return r.json()

    def set_percent(self, key: str, percent: float) -> dict:
        r = self.http.post(self.ops + "/admin/v1/migrations/%s/percent" % key,
                           json={"percent": percent, "reason": "integration test"},
                           headers={"Authorization": "Bearer " + self.token()})
        assert r.status_code == 200, r.text
        return r.json()

    def metric(self, name: str, **labels) -> float:
        """The sum of ``name`` over the series whose labels include ``labels``."""
        total = 0.0
        for line in self.http.get(self.ops + "/metrics").text.splitlines():
            m = METRIC.match(line)
            if m and m.group(1) == name:
                have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
                if all(have.get(k) == v for k, v in labels.items()):
                    total += float(m.group(3))
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if hasattr(self, "http"):
            self.http.close()

    def restart(self) -> "Sidecar":
        """Stops this one and starts another on the same directories and read port."""
        self.stop()
        return Sidecar(self.settings, self.state, *self.extra, read_port=self.read_port)


SETTINGS = """\
settings:
  db.pool.size:
    value: 10
    owner: team-data
  checkout.banner:
    value: { text: "Free shipping", color: "#0a7" }
    owner: team-web
  feature.one_click_buy:
    value: false
    owner: team-web
  payments.timeout_ms:
    value: 800.5
    owner: team-payments
  greeting:
    value: "hello"
    owner: team-web

migrations:
  db.pool.size:
    to: 20
    percent: 5
    owner: alice
    expected: p99 unchanged
    rollback: set percent to 0
  checkout.banner:
    to: { text: "Free shipping over 50 EUR" }
    percent: 12.345
    salt: banner-2026
    owner: bob
    expected: more clicks
    rollback: set percent to 0
"""


def write_settings(directory: pathlib.Path, text: str = SETTINGS) -> pathlib.Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "settings.yaml").write_text(text)
    return directory


def eventually(check, timeout: float = 10.0, what: str = "condition"):
    """Polls ``check`` until it returns a true value, at most ``timeout`` seconds; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("%s not met within %s s" % (what, timeout))
        time.sleep(0.01)


def units(n: int) -> List[str]:
    return ["user-%d" % i for i in range(n)]
