"use strict";
// Dynamic resources whose providers make no call at all: what the engine costs by itself. Each
// provider is `module.exports` of this installed package (as pulumi-commvault-tokens does), so the
// state holds a tiny require(...) rather than a copy of its code.
//   Noop:   the floor; the inputs as given, echoed as outputs.
//   Shaped: the floor's provider returning state shaped like an AccessToken's (shaped.js).
//   Plain:  Shaped with its two secrets kept in plain text: shaped − plain is what secrecy costs.
const pulumi = require("@pulumi/pulumi");

class Noop extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(require("bench-noop/provider"), name, { ...args }, opts, "bench", "Noop");
  }
}

class Shaped extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(require("bench-noop/shaped"), name, { ...args }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["accessToken", "refreshToken"] }), "bench", "Shaped");
  }
}

class Plain extends pulumi.dynamic.Resource {
  constructor(name, args, opts) {
    super(require("bench-noop/shaped"), name, { ...args }, opts, "bench", "Plain");
  }
}

module.exports = { Noop, Shaped, Plain };
