/**
 * Starts, watches and restarts the mgdebug language server (vscode-importing).
 *
 * The decisions live in pure modules: which program (interpreter.ts), what the
 * server is told (settings.ts), when to restart (backoff.ts), what the status
 * bar says (status.ts). This module wires them to VS Code and
 * vscode-languageclient, and makes sure each problem is said once.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  CloseAction,
  type CloseHandlerResult,
  DidChangeConfigurationNotification,
  type DynamicFeature,
  ErrorAction,
  type ErrorHandler,
  type ErrorHandlerResult,
  ExecuteCommandRequest,
  type LanguageClientOptions,
  LanguageClient,
  type ProgressToken,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  type StaticFeature,
  WorkDoneProgress,
  type WorkDoneProgressBegin,
  type WorkDoneProgressEnd,
  type WorkDoneProgressReport,
} from "vscode-languageclient/node";
import { RestartPolicy } from "./backoff";
import { OWN_COMMAND_IDS } from "./commands";
import {
  checkoutInstallCommandLine,
  classifyImportCheck,
  describeCommand,
  IMPORT_CHECK,
  type ImportCheck,
  expandVariables,
  installCommandLine,
  missingInstallAdvice,
  resolveServerCommand,
  type ServerCommand,
} from "./interpreter";
import { SECRET_KEY, serverEnvironment } from "./modelKey";
import { Once } from "./once";
import { isPythonExtensionInstalled, pythonExtensionInterpreter } from "./python";
import { didChangeConfigurationParams, initializationOptions, type MgdebugSettings, readSettings, type SettingKey } from "./settings";
import { readSummary, StatusModel } from "./status";

export const CLIENT_ID = "mgdebug";
/** VS Code commands this extension registers itself; the client must not register server commands with these ids. */
export const OWN_COMMANDS: ReadonlySet<string> = new Set<string>(OWN_COMMAND_IDS);

type WorkDoneValue = WorkDoneProgressBegin | WorkDoneProgressReport | WorkDoneProgressEnd;

/** The server's notification of what a run found in a document (server/lsp/server.py). */
const STATUS_NOTIFICATION = "mgdebug/status";

/** Asks the server for `mgdebug/status` (an experimental client capability, as rust-analyzer's `serverStatusNotification`). */
const statusFeature: StaticFeature = {
  fillClientCapabilities(capabilities) {
    capabilities.experimental = { ...(capabilities.experimental ?? {}), mgdebugStatus: true };
  },
  initialize() {},
  getState: () => ({ kind: "static" }),
  clear() {},
};

/** Reads all `mgdebug.*` settings for a scope, validated. */
export function currentSettings(scope?: vscode.ConfigurationScope): { settings: MgdebugSettings; problems: string[] } {
  const config = vscode.workspace.getConfiguration("mgdebug", scope);
  return readSettings((key: SettingKey) => config.get(key));
}

/**
 * A LanguageClient that leaves user-facing messages to ServerManager (every
 * client error still goes to the log), and that does not register VS Code
 * commands for server commands whose ids this extension already owns
 * (`mgdebug.debugFunction` is both a VS Code command and a server command).
 */
class MgdebugLanguageClient extends LanguageClient {
  public onClientError: ((message: string) => void) | undefined;

  override error(message: string, data?: unknown, _showNotification?: boolean | "force"): void {
    // After a failed initialize the library tries to stop a client that never ran and logs a stack
    // trace for it; the failure itself is already logged, so keep only the message.
    const noise = message === "Stopping server failed" && this.state !== State.Running;
    super.error(message, noise ? undefined : data, false);
    this.onClientError?.(message);
  }

  override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    const dynamic = feature as Partial<DynamicFeature<{ commands?: string[] }>>;
    if (dynamic.registrationType?.method === ExecuteCommandRequest.method && typeof dynamic.register === "function") {
      const register = dynamic.register.bind(feature);
      dynamic.register = (data) => {
        const commands = (data.registerOptions.commands ?? []).filter((c) => !OWN_COMMANDS.has(c));
        register({ ...data, registerOptions: { ...data.registerOptions, commands } });
      };
    }
    super.registerFeature(feature);
  }
}

function workspaceFolderPath(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function runImportCheck(python: string): Promise<ImportCheck & { stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      python,
      ["-c", IMPORT_CHECK],
      { timeout: 30_000, cwd: workspaceFolderPath() ?? os.homedir(), windowsHide: true },
      (error, _stdout, stderr) => {
        const err = error as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
        const result = classifyImportCheck({
          errorCode: err && typeof err.code === "string" ? err.code : undefined,
          exitCode: err ? (typeof err.code === "number" ? err.code : 1) : 0,
          timedOut: err?.killed === true,
          stderr: String(stderr),
        });
        resolve({ ...result, stderr: String(stderr) });
      },
    );
  });
}

export class ServerManager implements vscode.Disposable {
  private client: MgdebugLanguageClient | undefined;
  private generation = 0;
  private readonly policy = new RestartPolicy();
  private readonly once = new Once();
  private readonly status = new StatusModel();
  private restartTimer: NodeJS.Timeout | undefined;
  private settings: MgdebugSettings;
  private command: ServerCommand | undefined;
  /** The Python extension's selected interpreter: the default `python` for code under test. */
  private pythonFromExtension: string | undefined;
  private busy: Promise<void> = Promise.resolve();
  private disposed = false;
  private readonly editorWatch: vscode.Disposable;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly statusItem: vscode.StatusBarItem,
    private readonly secrets: vscode.SecretStorage,
  ) {
    this.settings = currentSettings().settings;
    // The item tells what the last run found in the file being looked at.
    this.editorWatch = vscode.window.onDidChangeActiveTextEditor(() => this.followActiveEditor());
    this.followActiveEditor();
  }

  /** The active editor's document as the server names it, and the item redrawn for it. */
  private followActiveEditor(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const client = this.client;
    this.status.setActive(uri && (client ? client.code2ProtocolConverter.asUri(uri) : uri.toString()));
    this.render();
  }

  /** The running client, if the server is up. */
  get runningClient(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  get serverCommand(): ServerCommand | undefined {
    return this.command;
  }

  // ---- lifecycle -------------------------------------------------------

  /** Starts the server (serialized with other start/stop calls). */
  start(): Promise<void> {
    return this.serialize(() => this.doStart());
  }

  /** Restarts by the user's request: forgets crash history and messages already shown. */
  restart(): Promise<void> {
    this.policy.reset();
    this.once.forget();
    return this.serialize(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    return this.serialize(() => this.doStop());
  }

  dispose(): void {
    this.disposed = true;
    this.editorWatch.dispose();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    void this.doStop();
  }

  private serialize(task: () => Promise<void>): Promise<void> {
    const next = this.busy.then(task, task);
    this.busy = next.catch(() => undefined);
    return next;
  }

  private async doStart(): Promise<void> {
    if (this.disposed) return;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    const { settings, problems } = currentSettings();
    this.settings = settings;
    this.reportSettingProblems(problems);
    this.setState("starting");

    const command = await this.resolveCommand();
    if (!command) return;
    this.command = command;
    this.output.info(`Server command (${command.source}): ${describeCommand(command, process.platform)}`);

    if (command.python) {
      const check = await runImportCheck(command.python);
      if (check.kind !== "ok") {
        this.reportImportProblem(command, check);
        return;
      }
    }
    await this.launch(command);
  }

  private async resolveCommand(): Promise<ServerCommand | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const fromExtension = await pythonExtensionInterpreter(folder?.uri, this.output);
    this.pythonFromExtension = fromExtension;
    if (isPythonExtensionInstalled()) {
      this.output.info(`Python extension interpreter: ${fromExtension ?? "(none selected)"}`);
    }
    const resolution = resolveServerCommand(
      {
        pathSetting: this.settings.path,
        interpreterSetting: this.settings.interpreter,
        pythonExtensionInterpreter: fromExtension,
      },
      {
        exists: (p) => {
          try {
            return fs.statSync(p).isFile();
          } catch {
            return false;
          }
        },
        env: process.env,
        workspaceFolder: folder?.uri.fsPath,
        userHome: os.homedir(),
        platform: process.platform,
      },
    );
    for (const warning of resolution.warnings) {
      this.output.warn(warning);
      if (this.once.first(`setting:${warning}`)) void vscode.window.showWarningMessage(warning);
    }
    if (!resolution.ok) {
      this.output.error(resolution.message);
      this.setState("error", "No Python interpreter found.");
      if (this.once.first("no-python")) {
        const actions = isPythonExtensionInstalled() ? ["Select Interpreter", "Open Settings"] : ["Open Settings"];
        void vscode.window.showErrorMessage(resolution.message, ...actions).then((choice) => {
          if (choice === "Select Interpreter") void vscode.commands.executeCommand("python.setInterpreter");
          if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", "mgdebug.interpreter");
        });
      }
      return undefined;
    }
    return resolution.command;
  }

  private reportImportProblem(command: ServerCommand, check: ImportCheck & { stderr: string }): void {
    const python = command.python ?? command.command;
    const where = `${python} (from ${command.source})`;
    if (check.stderr.trim()) this.output.error(`${python} -c "${IMPORT_CHECK}":\n${check.stderr.trim()}`);
    if (check.kind === "no-python") {
      this.setState("error", `Cannot run ${python}.`);
      this.output.error(`Cannot run ${where}: ${check.detail}`);
      if (this.once.first(`no-python:${python}`)) {
        void vscode.window.showErrorMessage(`mgdebug cannot run the Python interpreter ${where}.`, "Open Settings").then((c) => {
          if (c) void vscode.commands.executeCommand("workbench.action.openSettings", "mgdebug.interpreter");
        });
      }
      return;
    }
    if (check.kind === "missing") {
      this.setState("error", `mgdebug is not installed in ${python}.`);
      this.output.error(
        `mgdebug is not installed in ${where}. It is not on PyPI yet; install it from a clone of the mgdebug repository: ` +
          `${checkoutInstallCommandLine(python, process.platform)} (or \`pip install -e .\` inside the clone). ` +
          `Once mgdebug is published: ${installCommandLine(python, process.platform)}`,
      );
      if (this.once.first(`missing:${python}`)) {
        const actions = ["Install mgdebug", ...(isPythonExtensionInstalled() ? ["Select Interpreter"] : []), "Show Output"];
        void vscode.window
          .showWarningMessage(
            `mgdebug is not installed in the Python interpreter ${where}. ${missingInstallAdvice(python, process.platform)}`,
            ...actions,
          )
          .then((choice) => {
            if (choice === "Install mgdebug") this.runInstall(python);
            if (choice === "Select Interpreter") void vscode.commands.executeCommand("python.setInterpreter");
            if (choice === "Show Output") this.output.show(true);
          });
      }
      return;
    }
    this.setState("error", `mgdebug fails to import in ${python}.`);
    this.output.error(`mgdebug is installed in ${where} but fails to import: ${check.kind === "broken" ? check.detail : ""}`);
    if (this.once.first(`broken:${python}`)) {
      void vscode.window.showErrorMessage(`mgdebug fails to import in ${where}; see the output for the error.`, "Show Output").then((c) => {
        if (c) this.output.show(true);
      });
    }
  }

  /**
   * Runs `<python> -m pip install mgdebug` in a terminal the user can watch. mgdebug is not on
   * PyPI yet, so today pip will not find it; the messages say to install from a clone instead.
   */
  runInstall(python: string): void {
    const line = installCommandLine(python, process.platform);
    this.output.info(`Installing in a terminal: ${line}`);
    const terminal = vscode.window.createTerminal({ name: "mgdebug: install", cwd: workspaceFolderPath() });
    terminal.show();
    terminal.sendText(line, true);
    const listener = vscode.window.onDidCloseTerminal((closed) => {
      if (closed !== terminal) return;
      listener.dispose();
      void this.restart();
    });
    void vscode.window
      .showInformationMessage(
        "When the install has finished, restart the mgdebug server. mgdebug is not on PyPI yet: if pip cannot find it, " +
          `install it from a clone of the repository (${checkoutInstallCommandLine(python, process.platform)}) and restart.`,
        "Restart Server",
      )
      .then((choice) => {
        if (choice) {
          listener.dispose();
          void this.restart();
        }
      });
  }

  /** The model API key from SecretStorage; undefined when none is stored or the store fails. */
  private async storedKey(): Promise<string | undefined> {
    try {
      return await this.secrets.get(SECRET_KEY);
    } catch (error) {
      this.output.warn(`Could not read the model API key from VS Code's secret storage: ${String(error)}`);
      return undefined;
    }
  }

  private async launch(command: ServerCommand): Promise<void> {
    const generation = ++this.generation;
    const key = await this.storedKey();
    // Never the key itself in the log: only whether the server gets one.
    if (key) this.output.info("The server gets the stored model API key in MGDEBUG_API_KEY.");
    const serverOptions: ServerOptions = {
      // No `transport`: with TransportKind.stdio the client would append `--stdio` to the arguments,
      // and the server is started exactly as `... lsp`. Without it the client still talks over stdio.
      command: command.command,
      args: command.args,
      options: { cwd: workspaceFolderPath(), env: serverEnvironment(process.env, key) },
    };
    const errorHandler: ErrorHandler = {
      error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue, handled: true }),
      closed: (): CloseHandlerResult => {
        this.onServerExit(generation);
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "untitled", language: "python" },
      ],
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      diagnosticCollectionName: CLIENT_ID,
      initializationOptions: () =>
        initializationOptions(this.expanded(this.settings), vscode.workspace.isTrusted, this.pythonFromExtension),
      errorHandler,
      // A failed initialize is logged and handled by onServerExit (backoff, one message), not by a pop-up.
      initializationFailedHandler: (error) => {
        this.output.error(`Server initialization failed: ${error instanceof Error ? error.message : String(error)}`);
        return false;
      },
      middleware: {
        handleWorkDoneProgress: (token: ProgressToken, params: WorkDoneValue, next) => {
          this.status.progress(token, params);
          this.render();
          next(token, params);
        },
        workspace: {
          // Pull-model answers (`workspace/configuration`) get the same effective values as the push model.
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) return result;
            return params.items.map((item, i) => {
              if (item.section !== "mgdebug") return result[i];
              const scope = item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined;
              return didChangeConfigurationParams(
                this.expanded(currentSettings(scope).settings),
                vscode.workspace.isTrusted,
                this.pythonFromExtension,
              ).settings;
            });
          },
        },
      },
    };
    const client = new MgdebugLanguageClient(CLIENT_ID, "mgdebug", serverOptions, clientOptions);
    client.onClientError = (message) => this.output.debug(`client: ${message}`);
    client.registerFeature(statusFeature);
    client.onNotification(STATUS_NOTIFICATION, (params: unknown) => {
      const found = readSummary(params);
      if (!found || generation !== this.generation) return;
      this.status.summary(found.uri, found.summary);
      this.render();
    });
    this.client = client;
    this.followActiveEditor();
    client.onDidChangeState((event) => {
      if (generation !== this.generation) return;
      if (event.newState === State.Running) {
        this.policy.started(Date.now());
        this.setState("ready", `${describeCommand(command, process.platform)}`);
      } else if (event.newState === State.Starting) {
        this.setState("starting");
      }
    });
    try {
      await client.start();
      this.output.info("Server started.");
    } catch (error) {
      // The close handler decides about restarts; here only log.
      this.output.error(`Server failed to start: ${error instanceof Error ? error.message : String(error)}`);
      if (generation === this.generation && client.state !== State.Running) {
        this.onServerExit(generation);
      }
    }
  }

  private crashedGeneration = -1;

  /** Called when the server process ended without a stop() (crash, or failed start). */
  private onServerExit(generation: number): void {
    if (this.disposed || generation !== this.generation || this.crashedGeneration === generation) return;
    this.crashedGeneration = generation;
    const decision = this.policy.crashed(Date.now());
    if (decision.action === "giveUp") {
      const message = `The mgdebug server stopped ${decision.crashes} times in a row; it will not be restarted until you restart it.`;
      this.output.error(message);
      this.setState("error", "The server keeps stopping; see the output.");
      if (this.once.first("give-up")) {
        void vscode.window.showErrorMessage(message, "Show Output", "Restart Server").then((choice) => {
          if (choice === "Show Output") this.output.show(true);
          if (choice === "Restart Server") void this.restart();
        });
      }
      return;
    }
    const seconds = Math.round(decision.delayMs / 100) / 10;
    this.output.warn(`The server stopped unexpectedly; restarting in ${seconds} s (attempt ${decision.attempt}).`);
    this.setState("error", `Stopped unexpectedly; restarting in ${seconds} s.`);
    if (decision.announce && this.once.first("crash")) {
      void vscode.window
        .showWarningMessage("The mgdebug server stopped unexpectedly; it is being restarted. Details are in the output.", "Show Output")
        .then((choice) => {
          if (choice) this.output.show(true);
        });
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.serialize(async () => {
        await this.doStop();
        await this.doStart();
      });
    }, decision.delayMs);
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.generation++;
    if (!client) return;
    try {
      if (client.state === State.Running || client.state === State.Starting) {
        await client.stop(5_000);
      }
    } catch (error) {
      this.output.debug(`Stopping the server: ${String(error)}`);
    }
    try {
      await client.dispose(2_000);
    } catch {
      // Already stopped or never started.
    }
    if (!this.disposed) this.setState("stopped");
  }

  // ---- settings --------------------------------------------------------

  /** Re-reads settings after a change; sends them, or restarts when the program changed. */
  async settingsChanged(): Promise<void> {
    const before = this.settings;
    const { settings, problems } = currentSettings();
    this.reportSettingProblems(problems);
    const programChanged =
      before.interpreter.join("\0") !== settings.interpreter.join("\0") || before.path.join("\0") !== settings.path.join("\0");
    this.settings = settings;
    if (programChanged) {
      this.output.info("mgdebug.interpreter or mgdebug.path changed; restarting the server.");
      await this.restart();
      return;
    }
    this.sendSettings();
    this.render();
  }

  /** `mgdebug.python` with `${workspaceFolder}`, `${userHome}`, `~` and `${env:NAME}` expanded. */
  private expanded(settings: MgdebugSettings): MgdebugSettings {
    if (!settings.python) return settings;
    const python = expandVariables(settings.python, {
      exists: () => false,
      env: process.env,
      workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      userHome: os.homedir(),
      platform: process.platform,
    });
    return { ...settings, python };
  }

  /**
   * The Python extension's interpreter changed while the server keeps running (it was started
   * from a setting): the code under test moves to the new interpreter, through the settings.
   */
  async pythonInterpreterChanged(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    this.pythonFromExtension = await pythonExtensionInterpreter(folder?.uri, this.output);
    this.output.info(`The Python extension's interpreter is now ${this.pythonFromExtension ?? "(none)"}.`);
    this.sendSettings();
  }

  /** Sends `workspace/didChangeConfiguration` with `{"settings": {...}, "workspaceTrusted": bool}`. */
  sendSettings(): void {
    const client = this.runningClient;
    if (!client) return;
    const params = didChangeConfigurationParams(
      this.expanded(this.settings),
      vscode.workspace.isTrusted,
      this.pythonFromExtension,
    );
    client.sendNotification(DidChangeConfigurationNotification.type, params).catch((error: unknown) => {
      this.output.warn(`Could not send the settings to the server: ${String(error)}`);
    });
  }

  private reportSettingProblems(problems: string[]): void {
    const fresh = problems.filter((p) => this.once.first(`setting:${p}`));
    for (const p of problems) this.output.warn(p);
    if (fresh.length === 0) return;
    const text = fresh.length === 1 ? fresh[0]! : `${fresh.length} mgdebug settings are invalid and use their defaults; see the output.`;
    void vscode.window.showWarningMessage(text, "Open Settings").then((c) => {
      if (c) void vscode.commands.executeCommand("workbench.action.openSettings", "mgdebug");
    });
  }

  // ---- status ----------------------------------------------------------

  private setState(state: "starting" | "ready" | "stopped" | "error", detail = ""): void {
    this.status.setState(!this.settings.enable && state === "ready" ? "disabled" : state, detail);
    this.render();
  }

  /** Work started by the client (e.g. an executeCommand with our token) shows in the status bar too. */
  trackProgress(token: string, value: WorkDoneValue): void {
    this.status.progress(token, value);
    this.render();
  }

  private render(): void {
    const view = this.status.view();
    this.statusItem.text = view.text;
    this.statusItem.tooltip = view.tooltip;
    this.statusItem.backgroundColor =
      view.severity === "error"
        ? new vscode.ThemeColor("statusBarItem.errorBackground")
        : view.severity === "warning"
          ? new vscode.ThemeColor("statusBarItem.warningBackground")
          : undefined;
    this.statusItem.accessibilityInformation = { label: view.tooltip.split("\n")[0] ?? "mgdebug" };
    this.statusItem.show();
  }

  /** Sends a server command with a work-done token, showing its progress; resolves to its result. */
  async executeServerCommand(command: string, args: unknown[], title: string): Promise<unknown> {
    const client = this.runningClient;
    if (!client) throw new Error("the mgdebug server is not running");
    const token = `mgdebug-${command}-${Date.now()}`;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      async (progress, cancel) => {
        let last = 0;
        const sub = client.onProgress(WorkDoneProgress.type, token, (value) => {
          if (value.kind !== "end") {
            const pct = value.percentage;
            const increment = pct !== undefined ? Math.max(0, pct - last) : undefined;
            if (pct !== undefined) last = pct;
            progress.report({ message: value.message, increment });
          }
          this.trackProgress(token, value);
        });
        try {
          return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args, workDoneToken: token }, cancel);
        } finally {
          sub.dispose();
          this.trackProgress(token, { kind: "end" });
        }
      },
    );
  }
}
