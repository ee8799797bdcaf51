/**
 * "Write Docstring" and "Generate Tests": what the server's `mgdebug.writeDocstring` /
 * `mgdebug.generateTests` commands are sent, and what their answer tells the user. Pure.
 *
 * The server does the work (examples run in the sandbox, tests run by pytest) and applies the
 * result itself through workspace/applyEdit, as one edit the user can undo; why something was
 * left out (no examples, likely bugs) it sends as its own message. So here only the target and
 * the closing notification are decided.
 */

export const WRITE_DOCSTRING = "mgdebug.writeDocstring";
export const GENERATE_TESTS = "mgdebug.generateTests";

/** The arguments both server commands take (server/lsp/generate_actions.py `run_command`). */
export type GenerateArgs = [uri: string, line: number];

/**
 * [uri, 0-based line] from a code action's own arguments (the server's command action), else
 * from the cursor when there is a Python editor, else undefined.
 */
export function generateArgs(
  given: readonly unknown[],
  cursor: { uri: string; line: number; languageId: string } | undefined,
): GenerateArgs | undefined {
  const [uri, line] = given;
  if (typeof uri === "string" && typeof line === "number" && Number.isInteger(line) && line >= 0) return [uri, line];
  if (!cursor || cursor.languageId !== "python") return undefined;
  return [cursor.uri, cursor.line];
}

/** What the server's generate commands answer. */
export interface GenerateAnswer {
  applied?: boolean;
  summary?: string;
  messages?: string[];
  /** The file the edit wrote when it is not the document itself (a generated test file). */
  uri?: string;
}

/** The file to open after the command: the test file the server wrote, once it is applied. */
export function writtenFile(answer: unknown): string | undefined {
  const a = (typeof answer === "object" && answer !== null ? answer : {}) as GenerateAnswer;
  return a.applied === true && typeof a.uri === "string" && a.uri ? a.uri : undefined;
}

/**
 * The notification after the command, or undefined when the server's own message already says
 * everything (nothing was generated: it showed why).
 */
export function generateOutcome(answer: unknown): { text: string; warning: boolean } | undefined {
  const a = (typeof answer === "object" && answer !== null ? answer : {}) as GenerateAnswer;
  const summary = typeof a.summary === "string" && a.summary ? a.summary : "the generated code";
  if (a.applied === true) return { text: `mgdebug: wrote ${summary}.`, warning: false };
  if (a.summary === undefined) return undefined; // nothing generated; the server said why
  return { text: `mgdebug: the editor did not apply ${summary} (the file may have changed); try again.`, warning: true };
}
