"""The FastAPI app of docs/python.md, run as a reader of that page would: the package installed
offline into a virtual environment, the app under uvicorn beside the real sidecar. A migration whose
new value breaks the app is rolled to 30 %; the guard must halt it, fed only by the middleware, while
the users on the old value never see an error."""
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest

from .sidecar import REPO, Sidecar, eventually

pytestmark = pytest.mark.sidecar
KEY = "checkout.price_format"
USERS = 200


def docs_app() -> str:
    page = (REPO / "docs" / "python.md").read_text()
    marker = page.index("<!-- the app below is run by")
    block = re.search(r"```python\n(.*?)```", page[marker:], re.S)
    assert block, "docs/python.md: no python block after the app's marker"
    return block.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def venv_python(tmp_path) -> pathlib.Path:
    """A venv that sees Debian's packages (httpx, fastapi, uvicorn), with the package pip-installed
    offline from a copy of clients/python (an in-tree build would write into the checkout)."""
    source = tmp_path / "crossfade-src"
    shutil.copytree(REPO / "clients" / "python", source, ignore=shutil.ignore_patterns(
        "tests", "build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-build-isolation", "--no-index", str(source)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    where = subprocess.run([str(python), "-c", "import crossfade; print(crossfade.__file__)"], cwd=str(tmp_path),
                           capture_output=True, text=True, check=True).stdout
    assert str(venv) in where, "crossfade imported from %s, not from the venv" % where
    return python


def test_the_docs_fastapi_app_installed_offline_has_a_bad_migration_halted_by_the_guard(tmp_path, venv_python,
                                                                                        started):
    settings = tmp_path / "settings"
    shutil.copytree(REPO / "examples" / "fastapi" / "settings", settings)
    sidecar: Sidecar = started(settings)
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(docs_app())
    port = free_port()
    log = open(tmp_path / "uvicorn.log", "wb")
    env = dict(os.environ, CROSSFADE_URL=sidecar.read)
    env.pop("PYTHONPATH", None)
    app = subprocess.Popen([str(venv_python), "-m", "uvicorn", "app:app", "--app-dir", str(app_dir), "--host",
                            "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                           stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(tmp_path))
    try:
        base = "http://127.0.0.1:%d" % port
        with httpx.Client(base_url=base, timeout=30) as http:

            def loaded():
                assert app.poll() is None, "uvicorn exited:\n" + (tmp_path / "uvicorn.log").read_text()
                try:
                    return http.get("/health").json()["settings_version"] > 0
                except httpx.HTTPError:
                    return False
            eventually(loaded, 60, "the app up with its settings loaded")

            sidecar.set_percent(KEY, 30)
            on_new = [sidecar.get("/v1/settings/" + KEY, unit="user-%d" % u).json()["variant"] == "new"
                      for u in range(USERS)]
            assert 20 <= sum(on_new) <= 120, "users on the new value at 30 %"

            old_failures, new_errors, sent, halted = [], 0, 0, False
            deadline = time.monotonic() + 120
            while not halted and time.monotonic() < deadline:
                for _ in range(20):
                    u = sent % USERS
                    # a fresh connection each time: uvicorn closes one whose request raised
                    r = http.get("/checkout", headers={"X-User-Id": "user-%d" % u, "Connection": "close"})
                    sent += 1
                    if on_new[u]:
                        new_errors += r.status_code >= 500
                    elif r.status_code != 200 or r.json()["total"] != "16.49":
                        old_failures.append("user-%d: %d %s" % (u, r.status_code, r.text))
                halted = sidecar.admin_get("/admin/v1/migrations/" + KEY)["state"]["state"] == "halted"
            assert halted, "the guard did not halt the migration after %d requests; app log:\n%s" % (
                sent, (tmp_path / "uvicorn.log").read_text())
            assert old_failures == []
            assert new_errors > 0
            assert sidecar.admin_get("/admin/v1/migrations/" + KEY)["state"]["reason"].startswith("guard tripped")
            assert sidecar.metric("crossfade_outcomes_total", key=KEY, variant="old", result="error") == 0
            assert sidecar.metric("crossfade_outcomes_total", key=KEY, variant="new", result="error", source="api") > 0
    finally:
        app.terminate()
        try:
            app.wait(20)
        except subprocess.TimeoutExpired:
            app.kill()
        log.close()
