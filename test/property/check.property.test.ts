import * as fc from "fast-check";
import { COMPUTED } from "../../provider/model/resolve-time";
import { inspect, isDeepStrictEqual } from "node:util";
import * as ipaddr from "ipaddr.js";
import { ACCESS_TOKEN_KEYS, INPUTS, checkInputs, type AccessTokenInputs } from "../../provider/model/inputs";
import { normaliseAllowList } from "../../provider/model/ip";
import { planChange } from "../../provider/model/plan";
import { SCOPES } from "../../provider/model/scope";
import type { AccessTokenState } from "../../provider/model/state";
import { formatEpoch, parseRfc3339 } from "../../provider/model/time";
import { UNKNOWN } from "../../provider/model/unknown";

/**
 * Generated inputs against check and diff, hostile ones included: wrong types, huge and odd
 * strings, values unknown at preview in every field, every date and address form. Unit tests:
 * pure functions, no I/O, a few seconds. A failure prints the seed and the smallest input found.
 */
const NOW = Date.UTC(2026, 10, 28) / 1000;
const RUNS = 10_000;
type Raw = Record<string, unknown>;

// Built once: a megabyte is cheap to share, not to generate ten thousand times.
const HUGE = ["x".repeat(1 << 20), `10.0.0.${"1".repeat(100_000)}`, "\u{1F600}".repeat(50_000), `2027-01-01T00:00:00${"0".repeat(100_000)}Z`];

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Times in every shape: real and impossible dates, hours 24, seconds 60, odd offsets and years. */
const time = fc.oneof(
  fc
    .record({
      y: fc.oneof(fc.integer({ min: 2025, max: 2029 }), fc.integer({ min: 0, max: 10_001 })),
      mo: fc.integer({ min: 0, max: 13 }),
      d: fc.integer({ min: 0, max: 32 }),
      h: fc.integer({ min: 0, max: 25 }),
      mi: fc.integer({ min: 0, max: 61 }),
      s: fc.integer({ min: 0, max: 61 }),
      frac: fc.constantFrom("", ".0", ".999", ".000000001"),
      sep: fc.constantFrom("T", "t", " ", "_"),
      off: fc.oneof(fc.constantFrom("Z", "z", "", "+00:00", "-00:00", "+5:30"), fc.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 })).map(([sg, h, m]) => `${sg}${pad(h, 2)}:${pad(m, 2)}`)),
    })
    .map(({ y, mo, d, h, mi, s, frac, sep, off }) => `${y > 9999 ? y : pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}${sep}${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${frac}${off}`),
  fc.date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: NOW - 10 * 86_400, max: NOW + 400 * 86_400 }).map(formatEpoch),
  fc.constantFrom("next tuesday", "2027-02-30T00:00:00Z", "2027-04-31T00:00:00Z", "2027-01-01T24:00:00Z", "+010000-01-01T00:00:00Z", "-000001-01-01T00:00:00Z", "9999-12-31T23:30:00-01:00"),
);

/** Addresses in every form: strict and extended IPv4, IPv6, blocks (doubled too), ranges, zones, integers. */
const address = fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), fc.constantFrom("10", "0xa", "167772161", "::1.2.3.4", "::ffff:10.0.0.0", "fe80::1%eth0", "1.2.3.4::", "::"));
const entry = fc.oneof(
  { weight: 3, arbitrary: address },
  { weight: 3, arbitrary: fc.tuple(address, fc.integer({ min: 0, max: 140 }), fc.boolean()).map(([a, p, twice]) => `${a}/${p}${twice ? `/${p}` : ""}`) },
  { weight: 2, arbitrary: fc.tuple(address, address).map(([a, b]) => `${a}-${b}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(" ", "\t", ""), address, fc.constantFrom(" ", "\n", "")).map(([l, a, r]) => `${l}${a}${r}`) },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(UNKNOWN)) },
);

/** Anything at all, as the engine's Struct can carry it, and then some. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 10 }),
  fc.constantFrom(...HUGE),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(UNKNOWN),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(UNKNOWN)), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);

const list = <T>(item: fc.Arbitrary<T>) => fc.array(item, { maxLength: 6 });
const unknownOr = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: a }, { weight: 1, arbitrary: fc.constant(UNKNOWN) }, { weight: 2, arbitrary: hostile });

/** Durations as users write them, often wrong. */
const duration = fc.oneof(fc.constantFrom("90d", "1d", "13d", "364d", "365d", "0d", "90", "d", "9999d", "-1d"), fc.integer({ min: 1, max: 400 }).map((n) => `${n}d`));

/** One plausible value per input, often wrong, sometimes unknown or of another type. */
const FIELDS: { [K in keyof AccessTokenInputs]: fc.Arbitrary<unknown> } = {
  name: unknownOr(fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom("", "   ", "x".repeat(256), "ci"))),
  scope: unknownOr(fc.oneof(fc.constantFrom(...SCOPES), fc.constantFrom("all", "Root", ""))),
  apiEndpoints: unknownOr(list(fc.oneof(fc.constantFrom("/client", "/v4/servergroup", "/", "client", "/a b"), fc.string({ maxLength: 8 }).map((s) => `/${s}`), fc.constant(UNKNOWN)))),
  renewableUntil: unknownOr(time),
  expiresAt: unknownOr(time),
  ipAllowlist: unknownOr(list(entry)),
  userId: unknownOr(fc.oneof(fc.integer({ min: -2, max: 100 }), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER + 2))),
  userName: unknownOr(fc.oneof(fc.constantFrom("svc-backup", " ", ""), fc.string({ maxLength: 10 }))),
  replaceOnForbiddenScopeChange: unknownOr(fc.boolean()),
  renewableFor: unknownOr(duration),
  expiresIn: unknownOr(duration),
  extendWhenLeft: unknownOr(duration),
  rotation: unknownOr(
    fc.oneof(
      fc.record({ everyDays: fc.integer({ min: -1, max: 400 }), beforeEndDays: fc.integer({ min: -1, max: 400 }), overlapDays: fc.oneof(fc.integer({ min: -1, max: 30 }), fc.double()) }, { requiredKeys: [] }),
      fc.tuple(fc.oneof(fc.constantFrom("everyDay", "", "__proto__", "constructor"), fc.string({ maxLength: 6 })), hostile).map(([k, v]) => ({ [k]: v })),
    ),
  ),
  rotationTrigger: unknownOr(fc.oneof(fc.string({ maxLength: 10 }), fc.constant("t".repeat(300)))),
  server: unknownOr(fc.oneof(fc.constantFrom("dr", "prod-eu", "", "a b", "-x"), fc.string({ maxLength: 8 }))),
  adopt: unknownOr(
    fc.oneof(
      fc.record({ tokenId: fc.oneof(fc.integer({ min: -1, max: 200 }), fc.constant("104")), byName: fc.oneof(fc.boolean(), fc.constant(1)), thenRotate: fc.boolean() }, { requiredKeys: [] }),
      fc.tuple(fc.oneof(fc.constantFrom("tokenid", "", "__proto__"), fc.string({ maxLength: 6 })), hostile).map(([k, v]) => ({ [k]: v })),
    ),
  ),
  // age recipients: two real public keys, a mistyped one, a pasted identity's shape, anything.
  sealTo: unknownOr(
    list(
      fc.oneof(
        fc.constantFrom("age1njhvr98pkg8tsthzz9yqys0hnus7davud09f7wyp2929jz0v2u5qetemg7", "age1s2u9ugk25p85zq8whejhmffar3vun89ngcj02k4akp6pykzwnysq5rdvhv"),
        fc.constantFrom("age1njhvr98pkg8tsthzz9yqys0hnus7davud09f7wyp2929jz0v2u5qetemg8", "AGE-SECRET-KEY-1NOTAKEY", "ssh-ed25519 AAAA", "age1pq1x", "", " age1"),
        fc.string({ maxLength: 70 }),
        fc.constant(UNKNOWN),
      ),
    ),
  ),
  generation: unknownOr(fc.integer({ min: -1, max: 5 })),
  rotateAfter: unknownOr(time),
};

/** Keys that are not inputs: typos, outputs, Commvault's names, Object.prototype's, anything. */
const strayKey = fc.oneof(
  fc.constantFrom("renewablUntil", "RenewableUntil", "nmae", "tokenId", "accessToken", "allowedIPs", "constructor", "toString", "__proto__", "hasOwnProperty", "__foo", "k".repeat(5000)),
  fc.string({ maxLength: 12 }),
);

/** Any subset of the inputs, each often wrong, sometimes stray keys; built with own keys only. */
const anyNews: fc.Arbitrary<Raw> = fc
  .tuple(fc.record(FIELDS, { requiredKeys: [] }), fc.oneof({ weight: 4, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(strayKey, hostile), { maxLength: 8 }) }))
  .map(([fields, stray]) => Object.fromEntries([...Object.entries(fields), ...stray.filter(([k]) => !(INPUTS as readonly string[]).includes(k))]));

/** A time in some offset, as a user may write it: the same instant, other text. */
const spelled = (seconds: number, offsetMinutes: number) => {
  if (offsetMinutes === 0) return formatEpoch(seconds);
  const local = formatEpoch(seconds + offsetMinutes * 60).slice(0, 19);
  const a = Math.abs(offsetMinutes);
  return `${local}${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(a / 60), 2)}:${pad(a % 60, 2)}`;
};

/** Valid allow-list entries in many spellings: addresses, blocks with host bits, ranges. */
const goodEntry = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, p]) => `${a}/${p}`),
  fc.tuple(fc.ipV4(), fc.ipV4()).map(([a, b]) => (ipaddr.IPv4.parse(a).toByteArray().map((x, i) => x - ipaddr.IPv4.parse(b).toByteArray()[i]!).find((x) => x !== 0)! > 0 ? `${b}-${a}` : `${a}-${b}`)),
);

/** Inputs that pass check as they are (all rules met), often spelled other than canonically. */
const validNews: fc.Arbitrary<Raw> = fc
  .record({
    name: fc.string({ minLength: 1, maxLength: 40 }).filter((t) => t.trim().length > 0),
    scope: fc.option(fc.constantFrom(...SCOPES), { nil: undefined }),
    endpoints: fc.array(fc.constantFrom("/client", "/v4/servergroup", "/plan", "/x"), { minLength: 1, maxLength: 4 }),
    life: fc.option(fc.tuple(fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.integer({ min: -14 * 60, max: 14 * 60 })), { nil: undefined }),
    ipAllowlist: fc.option(fc.array(goodEntry, { maxLength: 5 }), { nil: undefined }),
    owner: fc.oneof(fc.constant({}), fc.integer({ min: 1, max: 99 }).map((userId) => ({ userId })), fc.constantFrom("svc-backup", "alice").map((userName) => ({ userName }))),
    flag: fc.option(fc.boolean(), { nil: undefined }),
    rolling: fc.option(fc.tuple(fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.boolean()), { nil: undefined }),
    rotation: fc.option(fc.tuple(fc.integer({ min: 2, max: 100 }), fc.double({ min: 0, max: 0.99, noNaN: true }), fc.option(fc.string({ maxLength: 8 }), { nil: undefined })), { nil: undefined }),
  })
  .map(({ name, scope, endpoints, life, ipAllowlist, owner, flag, rolling, rotation }) => {
    const n: Raw = { name, ...owner };
    if (scope) n.scope = scope;
    if (scope === "Custom") n.apiEndpoints = endpoints;
    const fixed = scope === "MicrosoftSCIM" || scope === "OneTouchRecovery";
    if (rolling) {
      const period = 1 + Math.floor(rolling[0] * (scope === "OneTouchRecovery" ? 12 : 363));
      n[fixed ? "expiresIn" : "renewableFor"] = `${period}d`;
      if (rolling[2] && period > 1) n.extendWhenLeft = `${1 + Math.floor(rolling[1] * (period - 1))}d`;
    } else if (life) n[fixed ? "expiresAt" : "renewableUntil"] = spelled(NOW + 1 + Math.floor(life[0] * (scope === "OneTouchRecovery" ? 14 : 365) * 86_400), life[1]);
    if (rotation) {
      n.rotation = { everyDays: rotation[0], overlapDays: Math.floor(rotation[1] * rotation[0]) };
      if (rotation[2] !== undefined) n.rotationTrigger = rotation[2];
    }
    if (ipAllowlist) n.ipAllowlist = ipAllowlist;
    if (flag !== undefined) n.replaceOnForbiddenScopeChange = flag;
    return n;
  });

/** Some inputs (or some list entries) unknown at preview, as when they come from other resources' outputs. */
const withUnknowns = (a: fc.Arbitrary<Raw>) =>
  fc.tuple(a, fc.subarray([...INPUTS]), fc.boolean()).map(([n, keys, inLists]) => {
    const out: Raw = { ...n };
    for (const k of keys) {
      const v = n[k];
      out[k] = inLists && Array.isArray(v) && v.length ? v.map((e, i) => (i % 2 ? UNKNOWN : e)) : UNKNOWN;
    }
    return out;
  });

/** New inputs: valid ones (some unknown), hostile ones, and valid ones with one field made hostile. */
const news: fc.Arbitrary<Raw> = fc.oneof(
  { weight: 3, arbitrary: validNews },
  { weight: 2, arbitrary: withUnknowns(validNews) },
  { weight: 2, arbitrary: fc.tuple(validNews, fc.constantFrom(...INPUTS), hostile).map(([n, k, v]) => ({ ...n, [k]: v })) },
  { weight: 3, arbitrary: anyNews },
);

/** Previous inputs, as check wrote them: none (a create), or the checked form of other inputs. */
const olds: fc.Arbitrary<Raw | undefined> = fc.option(
  news.map((n) => {
    const r = checkInputs(undefined, n, NOW);
    return r.failures.length ? { name: "old", scope: "MicrosoftSCIM", ipAllowlist: [], replaceOnForbiddenScopeChange: false, expiresAt: "2026-12-01T00:00:00Z" } : r.inputs;
  }),
  { nil: undefined },
);

/** Whether a property names an input or a key the program gave (a huge key is named cut). */
function namesAKey(property: string, given: Raw): boolean {
  if ((INPUTS as readonly string[]).includes(property) || COMPUTED.includes(property as never) || property.startsWith("rotation.") || property.startsWith("adopt.") || /^sealTo\[\d+\]$/.test(property)) return true;
  return Object.keys(given).some((k) => k === property || (k.length > 100 && property === `${k.slice(0, 100)}…`));
}

/** A state the provider could hold for those inputs: no unknowns, an id and an owner. */
function stateOf(inputs: Raw): AccessTokenState | undefined {
  if (Object.values(inputs).some((v) => v === UNKNOWN || (Array.isArray(v) && v.includes(UNKNOWN)))) return undefined;
  return { ...(inputs as unknown as AccessTokenState), tokenId: 104, userId: typeof inputs.userId === "number" ? inputs.userId : 1, userName: (inputs.userName as string) ?? "admin" };
}

/** jest's expect costs more than check itself; in hot loops, a plain assertion that says what broke. */
function holds(ok: boolean, what: string, ...values: unknown[]): void {
  if (!ok) throw new Error(`${what}: ${values.map((v) => inspect(v, { depth: 4, maxStringLength: 200 })).join(" / ")}`);
}

describe("check and diff under generated inputs", () => {
  test(`check never throws; each failure names an input; reasons are bounded; check of its output is that output; diff never throws (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(news, olds, news, (n, o, before) => {
        const r = checkInputs(o, n, NOW);
        for (const f of r.failures) {
          holds(namesAKey(f.property, n), "a failure names no input nor given key", f);
          holds(f.reason.length > 10 && f.reason.length < 1000, "a reason is empty or unbounded", f.property, f.reason.length);
        }
        // Failed or not, checking the result again gives the same answer.
        const again = checkInputs(o, r.inputs, NOW);
        holds(isDeepStrictEqual(again, r), "check of its own output differs", r, again);
        if (r.failures.length) return;
        // What the engine stores must survive its Struct: no undefined, no NaN.
        holds(isDeepStrictEqual(JSON.parse(JSON.stringify(r.inputs)), r.inputs), "checked inputs do not survive JSON", r.inputs);
        // diff of these checked inputs against a state made from other checked inputs, and against their own.
        const prior = checkInputs(undefined, before, NOW);
        for (const state of [prior.failures.length ? undefined : stateOf(prior.inputs), stateOf(r.inputs)]) {
          if (!state) continue;
          const plan = planChange(state, r.inputs as unknown as AccessTokenInputs);
          holds(["none", "update", "replace"].includes(plan.action), "diff planned no known action", plan);
        }
        const own = stateOf(r.inputs);
        if (own) holds(planChange(own, r.inputs as unknown as AccessTokenInputs).action === "none", "diff of a state against its own inputs is not none", own);
      }),
      { numRuns: RUNS },
    );
  });

  test("an unknown value refuses nothing that the known value it stands for would not", () => {
    const masked = fc.tuple(news, fc.array(fc.constantFrom(...INPUTS), { maxLength: 4 }), fc.boolean()).map(([known, keys, inLists]) => {
      const unknown: Raw = { ...known };
      for (const k of keys) {
        const v = known[k];
        // Either the whole value, or (for lists) some entries, unknown at preview.
        unknown[k] = inLists && Array.isArray(v) && v.length ? v.map((e, i) => (i % 2 ? UNKNOWN : e)) : UNKNOWN;
      }
      return { known, unknown };
    });
    fc.assert(
      fc.property(masked, olds, ({ known, unknown }, o) => {
        const refusedKnown = new Set(checkInputs(o, known, NOW).failures.map((f) => f.property));
        for (const f of checkInputs(o, unknown, NOW).failures) holds(refusedKnown.has(f.property), "refused while unknown, not when known", f, known, unknown);
      }),
      { numRuns: 3000 },
    );
  });

  test("a stray key is always refused, with the nearest input when one is close", () => {
    fc.assert(
      fc.property(strayKey, hostile, (key, value) => {
        fc.pre(!(INPUTS as readonly string[]).includes(key) && !(ACCESS_TOKEN_KEYS.ignore ?? []).includes(key) && value !== undefined);
        const failures = checkInputs(undefined, Object.fromEntries([["name", "ci"], [key, value]]), NOW).failures;
        expect(failures).toHaveLength(1);
        expect(failures[0]!.reason).toMatch(/is not an AccessToken input|is an output of AccessToken/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe("times and addresses under generated text", () => {
  test("a time is read as Date reads a real one, and a time Date would move is refused", () => {
    fc.assert(
      fc.property(time, (text) => {
        const mine = parseRfc3339(text);
        if (mine === undefined) return;
        // Accepted: Date agrees on the instant (it reads years before 100 oddly, which ours does not).
        expect(formatEpoch(mine)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(parseRfc3339(formatEpoch(mine))).toBe(mine);
        const year = Number(text.slice(0, 4));
        if (year >= 100) expect(mine).toBe(Math.floor(Date.parse(text.replace(" ", "T")) / 1000));
        // Never moved: the written date is the date of the instant in the written offset.
        const [, mo, d, h] = /^\d{4}-(\d\d)-(\d\d)[Tt ](\d\d)/.exec(text)!.map(Number) as number[];
        expect(mo! >= 1 && mo! <= 12 && d! >= 1 && d! <= 31 && h! <= 23).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  test("an accepted entry is only ever a plain address, block or range, and its canonical form is stable", () => {
    fc.assert(
      fc.property(list(entry), (entries) => {
        const { entries: canonical, invalid } = normaliseAllowList(entries);
        expect(normaliseAllowList(canonical)).toEqual({ entries: canonical, invalid: [], problems: [] });
        for (const e of entries) {
          if (e === UNKNOWN || invalid.includes(e)) continue;
          // Accepted text never holds the forms ipaddr.js would reinterpret: hex, octal or fewer than four parts.
          for (const part of String(e).trim().split(/[-/]/)) {
            if (!part.includes(":") && /^[\d.x]+$/i.test(part) && part.includes(".")) expect(ipaddr.IPv4.isValidFourPartDecimal(part)).toBe(true);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });

  test("every strict IPv4 and IPv6 address is accepted, as ipaddr.js spells it", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (a) => {
        // ipaddr.js reads the deprecated ::a.b.c.d as ::ffff:a.b.c.d, a different address: no oracle there.
        fc.pre(!/^::(\d+\.){3}\d+$/.test(a));
        const { entries, invalid } = normaliseAllowList([a]);
        expect(invalid).toEqual([]);
        expect(entries).toEqual([ipaddr.process(a).toString()]);
      }),
      { numRuns: 3000 },
    );
  });
});
