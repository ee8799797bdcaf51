/** Write Docstring / Generate Tests: the server command's arguments and the closing notification. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GENERATE_TESTS, generateArgs, generateOutcome, WRITE_DOCSTRING, writtenFile } from "../src/generate";

const cursor = { uri: "file:///w/m.py", line: 7, languageId: "python" };

describe("generateArgs", () => {
  it("sends the cursor's document and 0-based line, the shape the server checks", () => {
    assert.deepEqual(generateArgs([], cursor), ["file:///w/m.py", 7]);
  });

  it("prefers the target a code action's command carries", () => {
    assert.deepEqual(generateArgs(["file:///w/other.py", 3], cursor), ["file:///w/other.py", 3]);
  });

  it("falls back to the cursor when the given arguments are not [uri, line]", () => {
    assert.deepEqual(generateArgs(["file:///w/other.py", "3"], cursor), ["file:///w/m.py", 7]);
    assert.deepEqual(generateArgs([{ uri: "file:///w/other.py" }], cursor), ["file:///w/m.py", 7]);
    assert.deepEqual(generateArgs(["file:///w/other.py", -1], cursor), ["file:///w/m.py", 7]);
    assert.deepEqual(generateArgs(["file:///w/other.py", 1.5], cursor), ["file:///w/m.py", 7]);
  });

  it("has no target outside a Python editor", () => {
    assert.equal(generateArgs([], undefined), undefined);
    assert.equal(generateArgs([], { ...cursor, languageId: "markdown" }), undefined);
  });

  it("names the server's commands", () => {
    assert.equal(WRITE_DOCSTRING, "mgdebug.writeDocstring");
    assert.equal(GENERATE_TESTS, "mgdebug.generateTests");
  });
});

describe("generateOutcome", () => {
  it("says what was written when the editor applied the edit", () => {
    const outcome = generateOutcome({ applied: true, summary: "docstring of `mean` (3 checked example(s))", messages: [] });
    assert.deepEqual(outcome, { text: "mgdebug: wrote docstring of `mean` (3 checked example(s)).", warning: false });
  });

  it("warns when the editor refused the edit", () => {
    const outcome = generateOutcome({ applied: false, summary: "4 generated test case(s)", messages: [] });
    assert.equal(outcome?.warning, true);
    assert.match(outcome!.text, /did not apply 4 generated test case\(s\)/);
  });

  it("adds nothing when nothing was generated: the server's message says why", () => {
    assert.equal(generateOutcome({ applied: false, messages: ["`f` fails its expectations"] }), undefined);
    assert.equal(generateOutcome(null), undefined);
    assert.equal(generateOutcome("nonsense"), undefined);
  });
});

describe("writtenFile", () => {
  it("opens the test file the server wrote, once applied", () => {
    assert.equal(writtenFile({ applied: true, summary: "3 generated test case(s)", uri: "file:///w/tests/test_m.py" }), "file:///w/tests/test_m.py");
  });
  it("opens nothing when the edit was not applied or wrote the document itself", () => {
    assert.equal(writtenFile({ applied: false, uri: "file:///w/tests/test_m.py" }), undefined);
    assert.equal(writtenFile({ applied: true, summary: "docstring of `f`" }), undefined);
    assert.equal(writtenFile(null), undefined);
  });
});
