#!/usr/bin/env node
// The `applayer` command. This file is committed (unlike lib/dist), so `npm ci`
// can link node_modules/.bin/applayer on a fresh clone before the lib is built.
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const main = join(__dirname, "..", "dist", "cli", "main.js");
if (!existsSync(main)) {
  console.error("applayer: the lib is not built yet. Run `npm start` or `npm run setup` in the project folder first.");
  process.exit(1);
}
require(main).main(process.argv.slice(2)).then((code) => process.exit(code));
