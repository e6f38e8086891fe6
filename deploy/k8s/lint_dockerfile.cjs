// Lints a Dockerfile with npm `dockerfile-utils` (the validator behind the
// Dockerfile language server), every optional check turned into an error.
// Usage: node lint_dockerfile.cjs NODE_MODULES_DIR DOCKERFILE
// Prints a JSON array of {line, severity, message}; exit status 0 either way.
const path = require("node:path");
const fs = require("node:fs");
const [nodeModules, dockerfile] = process.argv.slice(2);
if (!nodeModules || !dockerfile) {
  console.error("usage: node lint_dockerfile.cjs NODE_MODULES_DIR DOCKERFILE");
  process.exit(2);
}
const utils = require(path.resolve(nodeModules, "dockerfile-utils"));
const ERROR = utils.ValidationSeverity.ERROR;
const strict = {
  deprecatedMaintainer: ERROR,
  directiveCasing: ERROR,
  emptyContinuationLine: ERROR,
  instructionCasing: ERROR,
  instructionCmdMultiple: ERROR,
  instructionEntrypointMultiple: ERROR,
  instructionHealthcheckMultiple: ERROR,
  instructionJSONInSingleQuotes: ERROR,
  instructionWorkdirRelative: ERROR,
};
const diagnostics = utils.validate(fs.readFileSync(dockerfile, "utf8"), strict);
console.log(JSON.stringify(diagnostics.map((d) => ({
  line: d.range.start.line + 1,
  severity: d.severity,  // 1 error, 2 warning, 3 information, 4 hint
  message: d.message,
}))));
