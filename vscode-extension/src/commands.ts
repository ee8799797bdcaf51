/**
 * The VS Code commands this extension registers itself. Pure, so the manifest test can check that
 * package.json contributes exactly these. Some are server commands too (`mgdebug.debugFunction`,
 * `mgdebug.askModel`, `mgdebug.writeDocstring`, `mgdebug.generateTests`): the language client must
 * not register those ids a second time.
 */
export const OWN_COMMAND_IDS = [
  "mgdebug.debugFunction",
  "mgdebug.fix",
  "mgdebug.askModel",
  "mgdebug.writeDocstring",
  "mgdebug.generateTests",
  "mgdebug.debugProject",
  "mgdebug.setModelApiKey",
  "mgdebug.clearModelApiKey",
  "mgdebug.restartServer",
  "mgdebug.showOutput",
] as const;
