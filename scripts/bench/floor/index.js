"use strict";
// A dynamic resource whose provider makes no call at all: what the engine costs by itself.
// The provider is `module.exports` of this installed package (as pulumi-commvault-tokens does),
// so the state holds a tiny require(...) rather than a copy of its code.
const pulumi = require("@pulumi/pulumi");

class Noop extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(require("bench-noop/provider"), name, { ...args }, opts, "bench", "Noop");
  }
}

module.exports = { Noop };
