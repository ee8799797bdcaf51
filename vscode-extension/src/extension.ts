/**
 * mgdebug for VS Code: activation, commands, and the events that reach the server.
 */
import * as vscode from "vscode";
import { GENERATE_TESTS, generateArgs, generateOutcome, WRITE_DOCSTRING, writtenFile } from "./generate";
import { askModelOutcome, cleanKey, SECRET_KEY } from "./modelKey";
import { onPythonInterpreterChanged } from "./python";
import { ServerManager } from "./server";

let manager: ServerManager | undefined;

/** [uri, line] for the server commands: the document URI and the cursor's 0-based LSP line. */
function functionTarget(): [string, number] | undefined {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== "python") {
    void vscode.window.showInformationMessage("mgdebug: put the cursor inside a Python function first.");
    return undefined;
  }
  return [editor.document.uri.toString(), editor.selection.active.line];
}

/** [uri, line] given by a code action's command, else the cursor's. */
function givenTarget(uri: unknown, line: unknown): [string, number] | undefined {
  return typeof uri === "string" && typeof line === "number" ? [uri, line] : functionTarget();
}

async function runServerCommand(
  mgr: ServerManager,
  output: vscode.LogOutputChannel,
  serverCommand: string,
  title: string,
  target: unknown[] | undefined = functionTarget(),
  onResult?: (result: unknown) => void,
): Promise<void> {
  if (!target) return;
  if (!mgr.runningClient) {
    const choice = await vscode.window.showWarningMessage(
      "The mgdebug server is not running; the output says why.",
      "Show Output",
      "Restart Server",
    );
    if (choice === "Show Output") output.show(true);
    if (choice === "Restart Server") await mgr.restart();
    return;
  }
  try {
    const result = await mgr.executeServerCommand(serverCommand, target, title);
    if (result !== undefined && result !== null) output.info(`${serverCommand} → ${JSON.stringify(result)}`);
    if (onResult) return onResult(result);
    const message = typeof result === "object" && result !== null ? (result as { message?: unknown }).message : undefined;
    if (typeof message === "string" && message) void vscode.window.showInformationMessage(message);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    output.error(`${serverCommand} failed: ${text}`);
    void vscode.window.showErrorMessage(`mgdebug: ${title} failed: ${text}`);
  }
}

/** After "Ask the Model for a Fix": one notification, with the quick fixes a click away. */
function showAskModelResult(result: unknown, target: [string, number]): void {
  const outcome = askModelOutcome(result);
  if (!outcome.showFixes) {
    const show = outcome.warning ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(outcome.text);
    return;
  }
  void vscode.window.showInformationMessage(outcome.text, "Show Fixes").then(async (choice) => {
    if (choice !== "Show Fixes") return;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(target[0]));
    const editor = await vscode.window.showTextDocument(document);
    const position = new vscode.Position(target[1], 0);
    editor.selection = new vscode.Selection(position, position);
    await vscode.commands.executeCommand("editor.action.quickFix");
  });
}

/** Write Docstring / Generate Tests for the function (or module) at the cursor or the action's target. */
function generate(mgr: ServerManager, output: vscode.LogOutputChannel, command: string, title: string, given: unknown[]): Promise<void> | undefined {
  const editor = vscode.window.activeTextEditor;
  const cursor = editor && {
    uri: editor.document.uri.toString(),
    line: editor.selection.active.line,
    languageId: editor.document.languageId,
  };
  const target = generateArgs(given, cursor);
  if (!target) {
    void vscode.window.showInformationMessage("mgdebug: put the cursor inside a Python function first.");
    return undefined;
  }
  // The server applies the edit itself (workspace/applyEdit); one notification says what it wrote.
  return runServerCommand(mgr, output, command, title, target, (result) => {
    const written = writtenFile(result);
    // The new tests are what the user came for: show them beside the code, not only a toast.
    if (written) void vscode.window.showTextDocument(vscode.Uri.parse(written), { preview: false, viewColumn: vscode.ViewColumn.Beside });
    const outcome = generateOutcome(result);
    if (!outcome) return;
    const show = outcome.warning ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    void show(outcome.text);
  });
}

async function setModelApiKey(secrets: vscode.SecretStorage, output: vscode.LogOutputChannel): Promise<void> {
  const input = await vscode.window.showInputBox({
    title: "mgdebug: Set Model API Key",
    prompt: "The API key of your model endpoint. Stored in VS Code's secret storage and given to the mgdebug server only in its environment (MGDEBUG_API_KEY). A local server (Ollama, llama.cpp) needs none.",
    password: true,
    ignoreFocusOut: true,
    placeHolder: "sk-…",
  });
  const key = cleanKey(input);
  if (key === undefined) return;
  await secrets.store(SECRET_KEY, key);
  output.info("Stored a model API key; the server restarts to receive it.");
  void vscode.window.showInformationMessage("mgdebug: model API key stored; the server restarts with it.");
}

async function clearModelApiKey(secrets: vscode.SecretStorage, output: vscode.LogOutputChannel): Promise<void> {
  await secrets.delete(SECRET_KEY);
  output.info("Cleared the stored model API key; the server restarts without it.");
  void vscode.window.showInformationMessage("mgdebug: model API key cleared.");
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("mgdebug", { log: true });
  const statusItem = vscode.window.createStatusBarItem("mgdebug.status", vscode.StatusBarAlignment.Right, 100);
  statusItem.name = "mgdebug";
  statusItem.command = "mgdebug.showOutput";
  const mgr = new ServerManager(output, statusItem, context.secrets);
  manager = mgr;
  context.subscriptions.push(output, statusItem, mgr);

  output.info(
    `mgdebug ${String(context.extension.packageJSON.version)} activating in VS Code ${vscode.version}; ` +
      `workspace ${vscode.workspace.isTrusted ? "trusted" : "not trusted (code will not run)"}.`,
  );

  context.subscriptions.push(
    vscode.commands.registerCommand("mgdebug.debugFunction", () =>
      runServerCommand(mgr, output, "mgdebug.debugFunction", "mgdebug: Debug Function"),
    ),
    vscode.commands.registerCommand("mgdebug.fix", () =>
      runServerCommand(mgr, output, "mgdebug.fixFunction", "mgdebug: Fix Function"),
    ),
    vscode.commands.registerCommand("mgdebug.askModel", (uri?: unknown, line?: unknown) => {
      const target = givenTarget(uri, line);
      if (!target) return;
      return runServerCommand(mgr, output, "mgdebug.askModel", "mgdebug: Asking the model for a fix", target, (result) =>
        showAskModelResult(result, target),
      );
    }),
    vscode.commands.registerCommand(WRITE_DOCSTRING, (...given: unknown[]) =>
      generate(mgr, output, WRITE_DOCSTRING, "mgdebug: Writing a docstring with checked examples", given),
    ),
    vscode.commands.registerCommand(GENERATE_TESTS, (...given: unknown[]) =>
      generate(mgr, output, GENERATE_TESTS, "mgdebug: Generating tests", given),
    ),
    vscode.commands.registerCommand("mgdebug.debugProject", (folder?: unknown) => {
      // every test of the folder's project; the server shows what it found (window/showMessage)
      const first = vscode.workspace.workspaceFolders?.[0]?.uri.toString();
      const target = typeof folder === "string" ? [folder] : first ? [first] : [];
      return runServerCommand(mgr, output, "mgdebug.debugProject", "mgdebug: Debugging the project's tests", target, () => undefined);
    }),
    vscode.commands.registerCommand("mgdebug.setModelApiKey", () => setModelApiKey(context.secrets, output)),
    vscode.commands.registerCommand("mgdebug.clearModelApiKey", () => clearModelApiKey(context.secrets, output)),
    context.secrets.onDidChange((event) => {
      if (event.key !== SECRET_KEY) return;
      // The key reaches the server only through its environment: a new process is the only way.
      output.info("The model API key changed; restarting the server.");
      void mgr.restart();
    }),
    vscode.commands.registerCommand("mgdebug.restartServer", () => mgr.restart()),
    vscode.commands.registerCommand("mgdebug.showOutput", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("mgdebug")) void mgr.settingsChanged();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      // Tell the server (didChangeConfiguration with workspaceTrusted: true and the effective runCode),
      // then restart it: restricted settings (interpreter, path) may now apply, and a server that reads
      // trust only from initializationOptions learns it there.
      output.info("The workspace is now trusted; telling the server and restarting it.");
      mgr.sendSettings();
      void mgr.restart();
    }),
  );

  const pythonChange = await onPythonInterpreterChanged(() => {
    const source = mgr.serverCommand?.source;
    if (source === "python-extension" || source === "PATH" || source === undefined) {
      output.info("The Python extension's interpreter changed; restarting the server.");
      void mgr.restart();
    } else {
      // The server keeps its own Python (a setting), but the code under test follows the selection.
      void mgr.pythonInterpreterChanged();
    }
  }, output);
  if (pythonChange) context.subscriptions.push(pythonChange);

  // Do not block activation on the server: start it in the background.
  void mgr.start();
}

export async function deactivate(): Promise<void> {
  const mgr = manager;
  manager = undefined;
  if (mgr) await mgr.stop();
}
