-- Drive a real Neovim (0.7 API): open a file, ask mgdebug for "write docstring with checked
-- examples" on a function, apply the edit (resolved, or applied by the server through the
-- command), write the buffer. Exit 0 on success, 2..6 on failure. With MGDEBUG_VIA "command"
-- it runs the server command `mgdebug.writeDocstring [uri, line]` as the VS Code command does.
local line = _G.MGDEBUG_LINE
local TITLE = "mgdebug: write docstring with checked examples"

-- neovim_attach.lua has opened the file and attached the server.
local bufnr, client_id = _G.MGDEBUG_BUFNR, _G.MGDEBUG_CLIENT
local client = vim.lsp.get_client_by_id(client_id)

local params = {
  textDocument = { uri = vim.uri_from_bufnr(bufnr) },
  range = { start = { line = line, character = 4 }, ["end"] = { line = line, character = 4 } },
  context = { diagnostics = {}, only = { "refactor.rewrite" } },
}

-- The action is listed once the server has parsed the opened document.
local action
local function find()
  local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 2000)
  for _, response in pairs(responses or {}) do
    for _, candidate in ipairs(response.result or {}) do
      if candidate.title == TITLE then action = candidate end
    end
  end
  return action ~= nil
end
if not vim.wait(20000, find, 100) then vim.cmd("cquit 3") end

local via = action.edit and "edit" or (action.command and "command" or "resolve")
if _G.MGDEBUG_VIA == "command" then
  via = "command"
  action = { command = { command = "mgdebug.writeDocstring", arguments = { params.textDocument.uri, line } } }
end
if action.edit == nil and action.command == nil then
  local resolved = client.request_sync("codeAction/resolve", action, 60000, bufnr)
  if not (resolved and resolved.result and resolved.result.edit) then vim.cmd("cquit 4") end
  action = resolved.result
end
if action.edit then
  vim.lsp.util.apply_workspace_edit(action.edit, "utf-16")
else
  -- The server applies the edit itself with workspace/applyEdit, before it answers.
  local command = action.command
  local done = client.request_sync("workspace/executeCommand",
    { command = command.command, arguments = command.arguments }, 60000, bufnr)
  if not (done and done.result and done.result.applied) then vim.cmd("cquit 5") end
end
local text = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n")
if not text:find(">>> ", 1, true) then vim.cmd("cquit 6") end
vim.cmd("write")
io.stdout:write("applied: " .. TITLE .. " (via " .. via .. ")\n")
vim.lsp.stop_client(client_id)
vim.cmd("qall!")
