import { parseHttpDate } from "../../provider/client/http-date";

/** The server's clock as the HTTP Date header gives it (RFC 7231 section 7.1.1.1), in epoch seconds. */
describe("parseHttpDate", () => {
  const at = (iso: string) => Date.parse(iso) / 1000;

  test("the preferred form (IMF-fixdate), as IIS, Tomcat and Node.js send it", () => {
    expect(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT")).toBe(at("1994-11-06T08:49:37Z"));
    expect(parseHttpDate("Sun, 06 Dec 2026 10:28:49 GMT")).toBe(at("2026-12-06T10:28:49Z"));
    expect(parseHttpDate(new Date(at("2027-02-28T23:59:59Z") * 1000).toUTCString())).toBe(at("2027-02-28T23:59:59Z"));
  });

  test("the two obsolete forms a recipient must accept", () => {
    expect(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT")).toBe(at("1994-11-06T08:49:37Z"));
    expect(parseHttpDate("Sunday, 06-Dec-26 10:28:49 GMT")).toBe(at("2026-12-06T10:28:49Z"));
    expect(parseHttpDate("Sun Nov  6 08:49:37 1994")).toBe(at("1994-11-06T08:49:37Z"));
    expect(parseHttpDate("Sun Dec 06 10:28:49 2026")).toBe(at("2026-12-06T10:28:49Z"));
  });

  test("whole seconds, never a moment later than the header says: a leap second reads as :59", () => {
    expect(parseHttpDate("Wed, 31 Dec 2036 23:59:60 GMT")).toBe(at("2036-12-31T23:59:59Z"));
    expect(Number.isInteger(parseHttpDate("Sun, 06 Dec 2026 10:28:49 GMT"))).toBe(true);
  });

  test("missing or unreadable: undefined (the server's clock stays unknown)", () => {
    for (const bad of [
      undefined,
      "",
      "   ",
      "2026-12-06T10:28:49Z",
      "Sun, 06 Dec 2026 10:28:49 +0000",
      "Sun, 06 Dec 2026 10:28:49 CET",
      "Sun, 6 Dec 2026 10:28:49 GMT",
      "Sun, 31 Feb 2027 10:28:49 GMT",
      "Sun, 00 Dec 2026 10:28:49 GMT",
      "Sun, 06 Dec 2026 24:00:00 GMT",
      "Sun, 06 Dec 2026 10:61:00 GMT",
      "Sun, 06 Foo 2026 10:28:49 GMT",
      "1765016929",
      "yesterday",
    ]) {
      expect(parseHttpDate(bad)).toBeUndefined();
    }
  });
});
