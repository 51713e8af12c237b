"use strict";
// The provider object the AccessToken resource serializes by reference. This file's path is part
// of the package's contract: state written by every version holds `require("<package>/provider.js")`,
// so destroy and refresh always run the installed code. Do not move or rename it.
// What the dynamic provider host loads: the core behind the dynamic door, whose state keeps the
// token's two secrets as one value (provider/lifecycle/dynamic-door.ts).
module.exports = require("./dist/provider/index.js").dynamicProvider;
