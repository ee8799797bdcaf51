-- Shared by the editor tests, run before each script: open MGDEBUG_FILE and attach
-- mgdebug's server (MGDEBUG_CMD) to it. Leaves _G.MGDEBUG_BUFNR and _G.MGDEBUG_CLIENT;
-- exits 2 when the server cannot be started.
local file = _G.MGDEBUG_FILE
vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({
  name = "mgdebug",
  cmd = _G.MGDEBUG_CMD,
  root_dir = vim.fn.fnamemodify(file, ":h"),
})
if not client_id then vim.cmd("cquit 2") end
vim.lsp.buf_attach_client(bufnr, client_id)
_G.MGDEBUG_BUFNR, _G.MGDEBUG_CLIENT = bufnr, client_id
