// Runs asl-validator (the version package-lock.json pins) over state machine definitions, offline.
// stdin: JSON [{"name": "<file>", "definition": {...}}]; stdout: JSON [{"name", "errors": [{"code", "message"}]}].
// scripts/validate_asl.py prepares the definitions (DefinitionSubstitutions applied) and words the report.
"use strict";
const validator = require("asl-validator");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  input += chunk;
});
process.stdin.on("end", () => {
  const results = JSON.parse(input).map(({ name, definition }) => {
    const { errors } = validator(definition, { checkArn: true, checkPaths: true });
    return {
      name,
      errors: errors.map((error) => ({ code: error["Error code"], message: error.Message })),
    };
  });
  process.stdout.write(JSON.stringify({ version: require("asl-validator/package.json").version, results }));
});
