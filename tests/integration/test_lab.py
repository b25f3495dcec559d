"""JupyterLab for real: ``gicstats lab`` started on 127.0.0.1 with a token.

Through the server's REST API the tests check that the ``py:percent``
notebooks open as notebooks (contents API and the default-viewer setting),
that an exported ``.ipynb`` opens (no HTTP 500 for a pairing with a missing
``.py``) with readable Chinese parameters, and run the report notebook on a
kernel started through the kernel API, with a changed parameter, over the
kernel's websocket. Headless Chromium then opens ``report.py`` and the test
asserts that JupyterLab shows the notebook view, not a text editor. The
server is shut down through its API at the end.

The server serves a temporary copy of ``notebooks/`` ($GICSTATS_NOTEBOOKS),
so exports are written beside it and nothing is written in the repository.
Jupyter's config, data, runtime, settings and workspace folders are
temporary too.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from helpers import ROOT

from gicstats.publish.execute import execute, records
from gicstats.publish.sections import RECORD_MIME

TOKEN = "gicstats-test-" + uuid.uuid4().hex


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running ``gicstats lab`` and a small client of its REST API."""

    def __init__(self, root: Path, corpus: Path, state: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "GICSTATS_NOTEBOOKS": str(root / "notebooks"),
            "JUPYTER_TOKEN": TOKEN,
            "JUPYTER_CONFIG_DIR": str(state / "config"),
            "JUPYTER_DATA_DIR": str(state / "data"),
            "JUPYTER_RUNTIME_DIR": str(state / "runtime"),
            "JUPYTERLAB_SETTINGS_DIR": str(state / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
            "MPLBACKEND": "Agg",
        }
        command = [sys.executable, "-m", "gicstats.cli", "lab", str(corpus), "--no-browser", "--ip=127.0.0.1"]
        command += [f"--port={self.port}", "--ServerApp.port_retries=0"]
        # no network from the server either: no PyPI listing, no update check, no news feed
        command += [
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.news_url=",
        ]
        self.log = (state / "lab.log").open("wb")
        self.proc = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=root)
        deadline = time.monotonic() + 240
        while True:
            try:
                self.get("/api/status")
                break
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.log.flush()
                    pytest.fail("JupyterLab did not start:\n" + (state / "lab.log").read_text()[-3000:])
                time.sleep(0.5)

    def request(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            text = resp.read().decode("utf-8")
            return json.loads(text) if text and "json" in resp.headers.get("Content-Type", "") else text

    def get(self, path: str):
        return self.request("GET", path)

    def stop(self) -> int:
        try:
            self.request("POST", "/api/shutdown")
        except (urllib.error.URLError, ConnectionError):
            pass
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            return self.proc.wait(timeout=30)
        finally:
            self.log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory, bundled_corpus):
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    state = tmp_path_factory.mktemp("lab-state")
    server = Lab(root, bundled_corpus, state)
    yield server
    assert server.stop() == 0  # shut down through the API, cleanly
    assert server.proc.returncode is not None


@pytest.mark.parametrize("name", ["report", "trend", "compare", "explore"])
def test_text_notebooks_open_as_notebooks(lab, name):
    model = lab.get(f"/api/contents/notebooks/{name}.py?content=1")
    assert model["type"] == "notebook" and model["format"] == "json"
    cells = model["content"]["cells"]
    params = [c for c in cells if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1 and "corpus = " in "".join(params[0]["source"])


def test_python_files_default_to_the_jupytext_notebook_viewer(lab):
    settings = lab.get("/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    assert settings["schema"]["properties"]["defaultViewers"]["default"] == {"python": "Jupytext Notebook"}
    page = lab.get("/lab")  # jupytext's own JupyterLab extension is loaded
    config = json.loads(page.split('id="jupyter-config-data" type="application/json">', 1)[1].split("</script>")[0])
    assert "jupyterlab-jupytext" in {e["name"] for e in config["federated_extensions"]}


def test_an_exported_notebook_opens_with_readable_parameters(lab, bundled_corpus):
    out = lab.root / "reports" / "report" / "天门市公安局_2020.ipynb"
    execute("report", {"corpus": str(bundled_corpus), "agency": "天门市公安局", "year": 2020}, out)
    text = out.read_text(encoding="utf-8")
    assert "jupytext" not in json.loads(text)["metadata"]  # no pairing with a .py that is not there
    assert "agency = '天门市公安局'" in text and "\\u" not in text
    model = lab.get("/api/contents/reports/report/%E5%A4%A9%E9%97%A8%E5%B8%82%E5%85%AC%E5%AE%89%E5%B1%80_2020.ipynb")
    assert model["type"] == "notebook"
    cells = model["content"]["cells"]
    (injected,) = [c for c in cells if "injected-parameters" in c["metadata"].get("tags", [])]
    assert "agency = '天门市公安局'" in injected["source"] and "year = 2020" in injected["source"]
    assert records(_node(model["content"]))["headline"]["本年新收申请 New applications"] == 0


def _node(content: dict):
    import nbformat

    return nbformat.from_dict(content)


def _execute_over_websocket(lab: Lab, kernel_id: str, codes: list[str]) -> list[list[dict]]:
    """Run each code in turn on the kernel.

    Returns the outputs of each, as iopub messages' contents with their
    type.
    """
    import asyncio

    from tornado.websocket import websocket_connect

    async def run() -> list[list[dict]]:
        url = f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel_id}/channels?token={TOKEN}"
        ws = await websocket_connect(url)
        session = uuid.uuid4().hex
        results = []
        try:
            for code in codes:
                msg_id = uuid.uuid4().hex
                await ws.write_message(
                    json.dumps(
                        {
                            "header": {
                                "msg_id": msg_id,
                                "msg_type": "execute_request",
                                "username": "test",
                                "session": session,
                                "version": "5.3",
                                "date": "",
                            },
                            "parent_header": {},
                            "metadata": {},
                            "content": {
                                "code": code,
                                "silent": False,
                                "store_history": True,
                                "user_expressions": {},
                                "allow_stdin": False,
                                "stop_on_error": True,
                            },
                            "channel": "shell",
                            "buffers": [],
                        }
                    )
                )
                outputs, reply, idle = [], None, False
                while reply is None or not idle:
                    msg = json.loads(await asyncio.wait_for(ws.read_message(), timeout=300))
                    if msg.get("parent_header", {}).get("msg_id") != msg_id:
                        continue
                    kind = msg["header"]["msg_type"]
                    if kind == "execute_reply":
                        reply = msg["content"]
                    elif kind == "status" and msg["content"]["execution_state"] == "idle":
                        idle = True
                    elif kind in ("stream", "display_data", "execute_result", "error"):
                        outputs.append({"type": kind, **msg["content"]})
                assert reply["status"] == "ok", outputs
                results.append(outputs)
        finally:
            ws.close()
        return results

    return asyncio.run(run())


def test_the_report_notebook_runs_on_a_lab_kernel_with_a_changed_parameter(lab):
    model = lab.get("/api/contents/notebooks/report.py?content=1")
    codes = []
    for cell in model["content"]["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if "parameters" in cell["metadata"].get("tags", []):
            # the corpus stays the default one: $GICSTATS_CORPUS, set by gicstats lab
            source += '\nagency = "天门市公安局"\nyear = 2020\n'
        codes.append(source)
    kernel = lab.request("POST", "/api/kernels", {"name": "python3"})
    try:
        results = _execute_over_websocket(lab, kernel["id"], codes)
    finally:
        lab.request("DELETE", f"/api/kernels/{kernel['id']}")
    recorded = {}
    for outputs in results:
        for out in outputs:
            if RECORD_MIME in out.get("data", {}):
                rec = out["data"][RECORD_MIME]
                recorded[rec["name"]] = rec["value"]
    assert recorded["title"] == "天门市公安局 2020"
    assert recorded["report"]["source"] == "tianmen_police_2020.txt"
    assert recorded["narrative"] >= 1  # the 3328 / 3228 mismatch of the seed report
    html = "".join(str(o.get("data", {}).get("text/html", "")) for outputs in results for o in outputs)
    assert "3328" in html and "3228" in html
    pngs = [o for outputs in results for o in outputs if "image/png" in o.get("data", {})]
    # 天门 printed 0 in every cell of tables 三 and 四: three charts are a sentence each, one is drawn
    assert len(pngs) == 1
    assert pngs[0]["data"]["text/html"].endswith(
        'alt="主动公开：行政许可、处罚、强制等处理决定数量 Decisions published (licensing, penalties, coercion)">'
    )
    assert html.count("：表中各项均为0，无可绘制 (every value is 0)</p>") == 3


def test_chromium_shows_report_py_as_a_notebook(lab, tmp_path):
    from test_browser import CHROMIUM, Browser

    if CHROMIUM is None:
        pytest.skip("no Chromium binary found (set GICSTATS_CHROMIUM)")
    browser = Browser(tmp_path / "browser-home")
    url = f"{lab.base}/lab/tree/notebooks/report.py?token={TOKEN}"
    window = (
        # the last --host-resolver-rules wins: names still resolve to nothing, but the server on 127.0.0.1 is reached
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=1280,900",
        "--hide-scrollbars",
        "--virtual-time-budget=30000",
    )
    dom = browser.run(url, *window, "--dump-dom")
    import re

    panels = re.findall(r'class="([^"]*\bjp-MainAreaWidget\b[^"]*)"', dom)
    assert panels, dom[-2000:]
    assert any("jp-NotebookPanel" in p for p in panels), panels
    assert not any("jp-FileEditor" in p.split() or "jp-FileEditorPanel" in p for p in panels), panels
    assert re.search(r'class="lm-TabBar-tabLabel[^"]*">report\.py<', dom)
    cells = re.findall(r'class="lm-Widget jp-Cell jp-(?:Code|Markdown)Cell', dom)
    assert len(cells) >= 10  # the notebook's cells, not one text buffer
    shot = tmp_path / "lab-report.png"
    browser.run(url, *window, f"--screenshot={shot}")
    from test_browser import png_stats

    size, colours = png_stats(shot)
    assert size == (1280, 900) and colours > 50


def test_environment_yml_lists_the_dependencies_of_pyproject():
    import re
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pip = {}
    for dep in project["dependencies"]:
        m = re.match(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)", dep)
        pip[m.group(1).lower()] = m.group(3).replace(" ", "")
    conda_names = {"matplotlib": "matplotlib-base", "duckdb": "python-duckdb"}
    listed = {}
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        m = re.match(r"\s+-\s+([A-Za-z0-9_.\-]+)\s*([<>=!~][^#\s]*)?", line)
        if m and m.group(1) not in ("python", "pip", "-e"):
            listed[m.group(1).lower()] = (m.group(2) or "").replace(" ", "")
    expected = {conda_names.get(name, name): spec for name, spec in pip.items()}
    assert listed == expected
    assert {"jupyterlab", "jupytext", "papermill"} <= set(pip)
