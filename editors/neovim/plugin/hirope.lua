-- hirope.nvim: commands (available before setup(); the server starts only after setup()).
if vim.g.loaded_hirope then
  return
end
vim.g.loaded_hirope = true

vim.api.nvim_create_user_command('HiropeStatus', function()
  require('hirope.status').show()
end, { desc = "hirope: print each running server's model status" })
