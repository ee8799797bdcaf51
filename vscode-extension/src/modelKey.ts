/**
 * The model API key's way to the server, and what the "Ask the Model" answer says. Pure.
 *
 * The key is kept in VS Code's SecretStorage (never in settings, which a project may commit) and
 * reaches the server only as MGDEBUG_API_KEY in the environment it is started with; the server
 * reads it from there as the command line does. A changed key needs a new server process.
 */

/** The SecretStorage key under which the model API key is stored. */
export const SECRET_KEY = "mgdebug.model.apiKey";
export const KEY_VARIABLE = "MGDEBUG_API_KEY";

/**
 * The server's environment: VS Code's own, unbuffered output, and the stored key when there is one.
 * Without a stored key an MGDEBUG_API_KEY already in VS Code's environment is kept (the user set it
 * in the shell that started VS Code); with one, the stored key wins.
 */
export function serverEnvironment(base: Readonly<Record<string, string | undefined>>, key: string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  env.PYTHONUNBUFFERED = "1";
  const stored = key?.trim();
  if (stored) env[KEY_VARIABLE] = stored;
  return env;
}

/** A pasted key: surrounding spaces and quotes removed; undefined when nothing is left. */
export function cleanKey(input: string | undefined): string | undefined {
  const key = input?.trim().replace(/^(["'])(.*)\1$/, "$2").trim();
  return key ? key : undefined;
}

/** What the server's `mgdebug.askModel` command answers (server/lsp/commands.py). */
export interface AskModelAnswer {
  function?: string;
  status?: string;
  model?: string;
  fixes?: string[];
  explanation?: string;
  message?: string;
}

/** The one notification after "Ask the Model for a Fix": its text, and whether to offer the quick fixes. */
export function askModelOutcome(answer: unknown): { text: string; showFixes: boolean; warning: boolean } {
  const a = (typeof answer === "object" && answer !== null ? answer : {}) as AskModelAnswer;
  const name = a.function ?? "the function";
  const fixes = Array.isArray(a.fixes) ? a.fixes.filter((f) => typeof f === "string") : [];
  if (typeof a.message === "string" && a.message && fixes.length === 0) {
    return { text: a.message, showFixes: false, warning: true };
  }
  if (a.status !== "fail" && fixes.length === 0) {
    return { text: `mgdebug: ${name} passes every expectation; nothing to fix.`, showFixes: false, warning: false };
  }
  if (fixes.length === 0) {
    return { text: `mgdebug: no checked fix for ${name}, from the model or the search.`, showFixes: false, warning: true };
  }
  const count = fixes.length === 1 ? "1 checked fix" : `${fixes.length} checked fixes`;
  return { text: `mgdebug: ${count} for ${name}; the first: ${fixes[0]!.replace(/^mgdebug: /, "")}`, showFixes: true, warning: false };
}
