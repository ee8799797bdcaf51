// The e2e's stages on shapes.py (a correct function): "mgdebug: Write Docstring" and
// "mgdebug: Generate Tests" from the command palette, and the generated code run as a user
// would run it (python -m doctest, pytest).
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { SHAPES } from "../fixtures.mjs";
import { reason, sleep } from "../lib/harness.mjs";
import { editorOf, editorText, notifications, openFile, runCommand, statusItem, waitFor } from "../lib/workbench.mjs";

/**
 * The stages of this module, in order. `needs` names what is missing for a stage to run
 * (undefined: ready); `shows` names the screenshot that shows it when it takes none of its own.
 * @param {{ h: import("../lib/harness.mjs").Harness, timeoutMs: number, python: string }} env
 * @returns {{name: string, shows?: string, needs: (ctx: any) => string | undefined, run: (ctx: any) => Promise<void>}[]}
 */
export default function stages({ h, timeoutMs, python }) {
  return [
    {
      name: "docstring",
      needs: () => (h.ok("server") ? undefined : "server"),
      async run(ctx) {
        const { page } = ctx;
        await openFile(page, SHAPES);
        const shapes = editorOf(page, SHAPES);
        await shapes.locator(".view-lines").first().waitFor({ timeout: 10_000 });
        // The server analyses the opened file before it can generate for it: wait for it to be idle.
        await sleep(1_000);
        await waitFor(() => statusItem(page), (s) => !s.spinning, 30_000);
        await runCommand(page, "mgdebug: Write Docstring");
        const text = await waitFor(() => editorText(shapes), (t) => />>>/.test(t), timeoutMs);
        const examples = lines(text ?? "").filter((l) => l.startsWith(">>>"));
        await h.shot(page, "docstring");
        // Saved, the examples must pass as doctests: they were run before they were offered.
        let doctest = { ok: false, out: "not saved" };
        if (examples.length > 0) {
          await runCommand(page, "File: Save");
          const file = path.join(ctx.cs.workspace, SHAPES);
          if (/>>>/.test(await savedText(file, (t) => />>>/.test(t)))) doctest = runPython(python, ["-m", "doctest", SHAPES], ctx.cs.workspace);
        }
        h.saw("docstring", { examples, doctest, notifications: await notifications(page) });
        h.check("docstring", [
          ["examples (`>>>`) land in the buffer", examples.length > 0],
          ["they call the function", examples.some((l) => l.includes("clamp("))],
          [`saved, they pass \`python -m doctest\` (${doctest.out.split("\n")[0]})`, doctest.ok],
        ], examples.join(" ; ") || (text ?? "").split("\n").slice(0, 4).join(" / "));
      },
    },
    {
      name: "tests",
      needs: () => (h.ok("server") ? undefined : "server"),
      async run(ctx) {
        const { page, cs } = ctx;
        await page.locator(".tab.active", { hasText: SHAPES }).first().click();
        await runCommand(page, "mgdebug: Generate Tests");
        const tab = page.locator(".tab", { hasText: /^test_.*\.py/ }).first();
        let opened = "";
        try {
          await tab.waitFor({ timeout: timeoutMs });
          opened = (await tab.innerText()).split("\n")[0].trim();
        } catch { /* judged below */ }
        let text = "";
        if (opened) {
          const editor = editorOf(page, opened);
          text = (await waitFor(() => editorText(editor), (t) => /def test_/.test(t), 10_000)) ?? "";
          if (!/def test_/.test(text)) {
            // The first test may sit below the viewport: look at the end of the file too.
            await editor.locator(".view-lines").first().click();
            await page.keyboard.press("Control+End");
            await sleep(500);
            text += `\n${await editorText(editor)}`;
          }
        }
        const groups = await page.locator(".editor-group-container").count();
        const defs = lines(text).filter((l) => l.startsWith("def test_"));
        await h.shot(page, "tests");
        // Saved, the generated tests must pass under pytest (they pin the current, correct code).
        let pytest = { ok: false, out: "no test file" };
        const onDisk = readdirSync(cs.workspace, { recursive: true }).map(String).filter((f) => /(^|\/)test_.*\.py$/.test(f));
        if (opened && onDisk.length > 0) {
          await page.locator(".tab.active", { hasText: opened }).first().click();
          await runCommand(page, "File: Save");
          await savedText(path.join(cs.workspace, onDisk[0]), (t) => /def test_/.test(t));
          pytest = runPython(python, ["-m", "pytest", "-q", "-p", "no:cacheprovider", onDisk[0]], cs.workspace);
        }
        const pytestSays = pytest.out.split("\n").at(-1) ?? "";
        h.saw("tests", { opened, editorGroups: groups, onDisk, defs, pytest: pytestSays, notifications: await notifications(page) });
        h.check("tests", [
          ["a test file opens", Boolean(opened)],
          ["beside the module (a second editor group)", groups >= 2],
          ["it holds `def test_`", defs.length > 0],
          [`saved, its tests pass under pytest (${pytestSays})`, pytest.ok],
        ], `${opened || "(no test file tab)"} in ${groups} editor group(s): ${defs.join(" ; ")}; pytest: ${pytestSays}`);
      },
    },
  ];
}

const lines = (text) => text.split("\n").map((l) => l.trim());

/** Runs the server's Python in `cwd` (doctest, pytest on the generated code): {ok, out}. */
function runPython(python, args, cwd) {
  try {
    const out = execFileSync(python, args, { cwd, encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
    return { ok: true, out: out.trim() };
  } catch (error) {
    return { ok: false, out: `${error.stdout ?? ""}${error.stderr ?? ""}`.trim() || reason(error) };
  }
}

/** The file's text on disk once `done(text)` holds (a save lands a moment after the keypress). */
async function savedText(file, done) {
  const read = async () => { try { return readFileSync(file, "utf8"); } catch { return ""; } };
  return (await waitFor(read, done, 10_000)) ?? "";
}

