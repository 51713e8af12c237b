"use strict";
// The floor's no-op provider, returning state shaped like an AccessToken's: the same checked
// inputs, the same outputs with values of the same size, two of them secret. What the engine
// costs for a resource of this shape, with no API call and no provider logic.
const crypto = require("crypto");

let next = 0;
const iso = (s) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");

module.exports = {
  async check(_olds, news) {
    return { inputs: { ...news, scope: "All", ipAllowlist: [], replaceOnForbiddenScopeChange: false } };
  },
  async create(inputs) {
    const now = Math.floor(Date.now() / 1000);
    const tokenId = 1000 + ++next;
    const outs = {
      ...inputs,
      __inputs: { userName: inputs.userName },
      tokenId,
      userId: 21,
      accessToken: crypto.randomBytes(36).toString("hex"),
      refreshToken: crypto.randomUUID().toUpperCase(),
      createdAt: iso(now),
      accessTokenExpiresAt: iso(now + 1800),
      refreshTokenExpiresAt: iso(now + 1800 + 14 * 86400),
      renewableUntil: iso(now + 90 * 86400),
    };
    return { id: `21:${process.pid}${tokenId}`, outs };
  },
  async read(id, props) {
    return { id, props };
  },
  async update(_id, olds, news) {
    return { outs: { ...olds, ...news } };
  },
  async delete() {},
};
