// The e2e's stages on buggy.py (one function, one bug): the lens after opening, the diagnostics
// (how many, where, in what words), the quick fix (the plain one first), applying it, and the
// lens after the fix.
import { anyFixTitle, errorAt, internalTerms, plainFixLine, plainFixTitle, wording } from "../fixtures.mjs";
import { sleep } from "../lib/harness.mjs";
import { actionMenu, editorText, lensTexts, problemCounts, problemRows, settle, squiggles, waitFor } from "../lib/workbench.mjs";

/**
 * The stages of this module, in order. `needs` names what is missing for a stage to run
 * (undefined: ready); `shows` names the screenshot that shows it when it takes none of its own.
 * @param {{ h: import("../lib/harness.mjs").Harness, timeoutMs: number, python: string }} env
 * @returns {{name: string, shows?: string, needs: (ctx: any) => string | undefined, run: (ctx: any) => Promise<void>}[]}
 */
export default function stages({ h, timeoutMs }) {
  return [
    {
      name: "lens-open",
      needs: () => (h.ok("server") ? undefined : "server"),
      async run({ page, buggy }) {
        // Nothing is typed or clicked in the editor before this: the lens must come by itself.
        const texts = await waitFor(() => lensTexts(buggy), (t) => t.some((x) => /pass|fail|✓|✗/i.test(x)), timeoutMs);
        h.saw("lensAfterOpen", texts);
        await h.shot(page, "lens-open");
        const shown = texts.join(" / ") || "(no lens)";
        h.check("lens-open", [
          ["a result lens appears after opening", texts.some((x) => /pass|fail|✓|✗/i.test(x))],
          ["it says the function fails", texts.some(isFailingLens)],
          ["it is not \"stale\"", !texts.some((x) => /stale/i.test(x))],
        ], shown);
      },
    },
    {
      name: "diagnostic",
      needs: () => (h.ok("server") ? undefined : "server"),
      async run(ctx) {
        const { page, buggy } = ctx;
        await page.keyboard.press("Control+Shift+M");
        const any = page.locator(".markers-panel .monaco-list-row").filter({ hasText: /mgdebug/i }).first();
        try {
          await any.waitFor({ timeout: timeoutMs });
        } catch { /* judged below */ }
        // Diagnostics arrive twice (failing runs, then the fix search): judge the settled view.
        const view = await settle(page, async () => ({ counts: await problemCounts(page), rows: await problemRows(page) }), timeoutMs);
        ctx.view = view;
        ctx.squiggles = await squiggles(buggy);
        h.saw("problems", view.rows);
        h.saw("problemCounts", view.counts);
        h.saw("squiggles", ctx.squiggles);
        await h.shot(page, "diagnostics");
        const mine = view.rows.filter((r) => r.source === "mgdebug");
        h.check("diagnostic", [["the Problems panel lists an mgdebug problem", mine.length > 0]],
          mine.map((r) => `${r.severity}: ${r.text}`).join(" | ") || "(no problems)");
      },
    },
    {
      name: "lens-fix",
      shows: "diagnostics",
      needs: () => (h.ok("diagnostic") ? undefined : "diagnostic"),
      async run({ buggy }) {
        const texts = await waitFor(() => lensTexts(buggy), (t) => t.some((x) => /apply best fix/i.test(x)), 10_000);
        h.check("lens-fix", [
          ["the failing function's lens offers \"Apply best fix\"", texts.some((x) => /apply best fix/i.test(x))],
          ["it is not \"stale\"", !texts.some((x) => /stale/i.test(x))],
        ], texts.join(" / ") || "(no lens)");
      },
    },
    {
      name: "counts",
      shows: "diagnostics",
      needs: () => (h.ok("diagnostic") ? undefined : "diagnostic"),
      async run({ view, squiggles: sq }) {
        const marked = view.rows.filter((r) => r.source === "mgdebug");
        const errors = marked.filter((r) => r.severity === "error").length;
        const warnings = marked.filter((r) => r.severity === "warning").length;
        h.check("counts", [
          [`exactly 1 error (status bar: ${view.counts.errors})`, view.counts.errors === 1],
          [`at most 1 warning (status bar: ${view.counts.warnings})`, view.counts.warnings <= 1],
          [`exactly 1 error row in Problems (${errors})`, errors === 1],
          [`at most 1 warning row in Problems (${warnings})`, warnings <= 1],
        ], `status bar "${view.counts.label}"; Problems: ${errors} error, ${warnings} warning; ` +
          `squiggles: ${sq.error} error, ${sq.warning} warning, ${sq.hint} hint, ${sq.faded} faded`);
      },
    },
    {
      name: "wording",
      shows: "diagnostics",
      needs: () => (h.ok("diagnostic") ? undefined : "diagnostic"),
      async run({ view }) {
        const error = view.rows.find((r) => r.severity === "error" && r.source === "mgdebug");
        const text = error?.message ?? "";
        const jargon = view.rows.filter((r) => internalTerms.test(r.text)).map((r) => internalTerms.exec(r.text)[0]);
        h.check("wording", [
          ["there is an error", Boolean(error)],
          [`it sits on the function's name ${errorAt}`, error?.line === errorAt],
          ...wording.map(([what, re]) => [what, re.test(text)]),
          [`no internal terms in any problem (found: ${[...new Set(jargon)].join(", ")})`, jargon.length === 0],
          ["its code links to an explanation", Boolean(error?.codeLink)],
        ], `${text} ${error?.line ?? ""}${error?.codeLink ? ` (${error.code} → ${error.codeLink})` : ""}`);
      },
    },
    {
      name: "quickfix",
      needs: () => (h.ok("diagnostic") ? undefined : "diagnostic"),
      async run(ctx) {
        const { page } = ctx;
        // Ctrl+. where the user is sent by the Problems panel: the error first, then the warning.
        let menu = [];
        let from = "";
        for (const severity of ["error", "warning"]) {
          const row = page.locator(".markers-panel .monaco-list-row").filter({ has: page.locator(`.marker-icon.${severity}`) }).first();
          if ((await row.count()) === 0) continue;
          await row.dblclick();
          await sleep(500);
          await page.keyboard.press("Control+.");
          menu = await waitFor(() => actionMenu(page), (m) => m.length > 0, 15_000);
          from = severity;
          if ((menu ?? []).some((r) => !r.header && anyFixTitle.test(r.text))) break;
          await page.keyboard.press("Escape");
        }
        menu = menu ?? [];
        h.saw("quickFixMenu", menu.map((r) => (r.header ? `[${r.text}]` : r.text)));
        // The Quick Fix group: the rows after its header, up to the next header.
        const start = menu.findIndex((r) => r.header && /quick fix/i.test(r.text));
        const group = [];
        for (const r of menu.slice(start + 1)) {
          if (r.header) break;
          group.push(r);
        }
        const fixes = group.filter((r) => /^mgdebug:/.test(r.text));
        const top = fixes[0]?.text ?? "";
        ctx.topFix = top;
        await h.shot(page, "quickfix");
        h.check("quickfix", [
          ["the quick-fix menu offers an mgdebug fix", fixes.length > 0],
          ["the first mgdebug fix is the plain one (`xs[1:]` → `xs`)", plainFixTitle.test(top)],
        ], `from the ${from}: ${fixes.map((f) => f.text).join(" | ") || menu.map((r) => r.text).join(" | ") || "(no menu)"}`);
        // Leave the menu open on the top fix for `apply`, focused on it.
        const actions = menu.filter((r) => !r.header);
        ctx.topIndex = fixes.length > 0 ? actions.findIndex((r) => r.text === top) : -1;
        if (ctx.topIndex < 0) await page.keyboard.press("Escape");
      },
    },
    {
      name: "apply",
      shows: "applied",
      needs: (ctx) => (ctx.topIndex >= 0 ? undefined : "an open quick-fix menu with an mgdebug fix"),
      async run(ctx) {
        const { page, buggy } = ctx;
        for (let i = 0; i < ctx.topIndex; i++) await page.keyboard.press("ArrowDown");
        await page.keyboard.press("Enter");
        const text = await waitFor(() => editorText(buggy), (t) => !/xs\[1:\]/.test(t), 30_000);
        const loop = lines(text ?? "").find((l) => l.startsWith("for x in")) ?? "";
        ctx.edited = !/xs\[1:\]/.test(text ?? "");
        let counts = await problemCounts(page);
        if (ctx.edited) {
          await page.keyboard.press("Control+S");
          counts = await waitFor(() => problemCounts(page), (c) => c.errors === 0, timeoutMs, 1_000);
        }
        h.saw("afterFix", { loop, counts });
        await h.shot(page, "applied");
        h.check("apply", [
          ["the fix edits the buffer", ctx.edited],
          [`the loop reads \`${plainFixLine}\``, loop === plainFixLine],
          ["after saving there is no error", counts.errors === 0],
        ], `loop: ${loop}; status bar "${counts.label}"`);
      },
    },
    {
      name: "lens-pass",
      needs: (ctx) => (ctx.edited ? undefined : "an applied fix"),
      async run({ page, buggy }) {
        const texts = await waitFor(() => lensTexts(buggy), (t) => t.some(isPassingLens), timeoutMs);
        h.saw("lensAfterFix", texts);
        await h.shot(page, "lens-pass");
        h.check("lens-pass", [
          ["the lens shows a pass", texts.some((x) => /pass|✓/i.test(x))],
          ["no \"stale\"", !texts.some((x) => /stale/i.test(x))],
          ["no \"failed\"", !texts.some((x) => /fail|✗/i.test(x))],
        ], texts.join(" / ") || "(no lens)");
      },
    },
  ];
}

const lines = (text) => text.split("\n").map((l) => l.trim());
const isFailingLens = (t) => /fail|✗/i.test(t);
const isPassingLens = (t) => /pass|✓/i.test(t) && !/fail|✗|stale/i.test(t);
