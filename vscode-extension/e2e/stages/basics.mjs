// The e2e's first and last stages: the extension activates, its server starts, the status bar
// item says in words what is happening, and no traceback reaches the output channel.
import { runCommand, statusItem, waitFor } from "../lib/workbench.mjs";
import { sleep } from "../lib/harness.mjs";

/**
 * The stages of this module, in order. `needs` names what is missing for a stage to run
 * (undefined: ready); `shows` names the screenshot that shows it when it takes none of its own.
 * @param {{ h: import("../lib/harness.mjs").Harness, timeoutMs: number, python: string }} env
 * @returns {{name: string, shows?: string, needs: (ctx: any) => string | undefined, run: (ctx: any) => Promise<void>}[]}
 */
export default function stages({ h }) {
  return [
    {
      name: "activation",
      shows: "output",
      needs: () => undefined,
      async run({ page }) {
        await page.locator('.statusbar-item:has-text("mgdebug")').first().waitFor({ state: "visible", timeout: 30_000 });
        const item = await statusItem(page);
        h.pass("activation", `status bar: ${item.text} [${item.label}]`);
      },
    },
    {
      name: "server",
      shows: "output",
      needs: () => (h.ok("activation") ? undefined : "activation"),
      async run({ page, cs }) {
        const text = await waitFor(() => cs.outputText(), (t) => /Server started|failed|not installed|could not|cannot|stopped/i.test(t), 30_000, 1_000);
        await runCommand(page, "mgdebug: Show Output");
        await sleep(500);
        await h.shot(page, "output");
        const started = /Server started/.test(text ?? "");
        h.check("server", [["the output channel shows \"Server started\"", started]], started ? "Server started" : (text ?? "").split("\n").slice(-10).join(" / "));
      },
    },
    {
      name: "status",
      shows: "final",
      needs: () => (h.ok("activation") ? undefined : "activation"),
      async run({ page, statusSeen }) {
        await waitFor(() => statusItem(page), (s) => !s.spinning, 15_000);
        const last = await statusItem(page);
        const working = statusSeen.filter((s) => s.spinning);
        // Words beyond the name and a percentage: "mgdebug: debugging total", not "mgdebug 40%".
        const inWords = (s) => /[a-z]{3,}/i.test(s.text.replace(/mgdebug/gi, ""));
        const mute = [...new Set(working.filter((s) => !inWords(s)).map((s) => `"${s.text}" [${s.label}]`))];
        h.check("status", [
          ["while working, the status bar item says what in words", working.some(inWords)],
          [`it never shows only a spinner or a percentage (${mute.join(", ")})`, mute.length === 0],
          ["it clears when done", !last.spinning],
        ], [...new Set(statusSeen.map((s) => `${s.spinning ? "⟳ " : ""}${s.text}`))].join(" → "));
      },
    },
    {
      name: "output-clean",
      needs: () => (h.ok("server") ? undefined : "server"),
      async run({ page, cs }) {
        await runCommand(page, "mgdebug: Show Output");
        await sleep(500);
        await h.shot(page, "output-clean");
        const text = cs.outputText();
        const bad = text.split("\n").filter((l) => /Traceback|BrokenPipeError/.test(l));
        h.check("output-clean", [["no Traceback in the mgdebug output channel", bad.length === 0]],
          bad.length ? bad.slice(0, 3).join(" / ") : `${text.split("\n").length} lines, none a traceback`);
      },
    },
  ];
}
