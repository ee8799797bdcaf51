/**
 * The interpreter chosen in the Python extension (ms-python.python), guarded:
 * the extension may be missing, inactive, an older API, or slow to answer.
 */
import * as vscode from "vscode";

const PYTHON_EXTENSION_ID = "ms-python.python";
const API_TIMEOUT_MS = 10_000;

interface EnvironmentPath {
  id: string;
  path: string;
}

interface ResolvedEnvironment {
  executable?: { uri?: vscode.Uri; sysPrefix?: string };
}

interface EnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri | vscode.WorkspaceFolder): EnvironmentPath;
  resolveEnvironment(env: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
  onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
}

interface PythonExtensionApi {
  environments?: EnvironmentsApi;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

async function environmentsApi(log: vscode.LogOutputChannel): Promise<EnvironmentsApi | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await withTimeout(Promise.resolve(ext.activate()), API_TIMEOUT_MS);
    const envs = api?.environments;
    if (envs && typeof envs.getActiveEnvironmentPath === "function" && typeof envs.resolveEnvironment === "function") {
      return envs;
    }
    log.info("The Python extension is installed but has no environments API; not using it.");
  } catch (error) {
    log.warn(`The Python extension's API failed: ${String(error)}`);
  }
  return undefined;
}

export function isPythonExtensionInstalled(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

/** The active interpreter's executable for `resource`, or undefined. Never throws. */
export async function pythonExtensionInterpreter(
  resource: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<string | undefined> {
  const envs = await environmentsApi(log);
  if (!envs) return undefined;
  try {
    const active = envs.getActiveEnvironmentPath(resource);
    const resolved = await withTimeout(envs.resolveEnvironment(active), API_TIMEOUT_MS);
    const executable = resolved?.executable?.uri?.fsPath;
    if (executable) return executable;
    // An unresolvable environment still has a path that is usually the executable.
    return active?.path || undefined;
  } catch (error) {
    log.warn(`Could not ask the Python extension for its interpreter: ${String(error)}`);
    return undefined;
  }
}

/** Subscribes to interpreter changes in the Python extension, if it offers the event. */
export async function onPythonInterpreterChanged(
  listener: () => void,
  log: vscode.LogOutputChannel,
): Promise<vscode.Disposable | undefined> {
  const envs = await environmentsApi(log);
  const event = envs?.onDidChangeActiveEnvironmentPath;
  if (typeof event !== "function") return undefined;
  try {
    return event(() => listener());
  } catch {
    return undefined;
  }
}
