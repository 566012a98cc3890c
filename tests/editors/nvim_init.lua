-- Minimal init for the headless Neovim test (tests/editors/test_neovim.py): the plugin from this
-- checkout, the server from the test's Python, the real default model.
local env = vim.env
vim.opt.runtimepath:prepend(env.HIROPE_PLUGIN_DIR)
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'

require('hirope').setup({
  cmd = { env.HIROPE_PYTHON, '-m', 'hirope_lsp.cli', '--stdio', '-v' },
  settings = { model = { spec = 'default' } },
})
