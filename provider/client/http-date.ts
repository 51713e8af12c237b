/**
 * The HTTP `Date` header (RFC 7231 section 7.1.1.1), which real web servers in front of a
 * CommServe (IIS, Tomcat) send on every response: the server's clock, to the second. Parsed into
 * epoch seconds; anything else (missing, malformed, an impossible day) is undefined, and the
 * caller then knows nothing of the server's clock.
 */

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = `(${MONTHS.join("|")})`;
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";

/** The preferred form, `Sun, 06 Nov 1994 08:49:37 GMT`, then the two obsolete ones a recipient must accept. */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`);

export function parseHttpDate(header: string | undefined): number | undefined {
  const text = header?.trim();
  if (!text) return undefined;
  let m: RegExpExecArray | null;
  if ((m = IMF_FIXDATE.exec(text))) return epoch(m[4]!, m[3]!, m[2]!, m[5]!, m[6]!, m[7]!);
  if ((m = RFC_850.exec(text))) {
    // A two-digit year: 70-99 are the 1900s, 00-69 the 2000s (the POSIX pivot; pure, no clock read).
    const yy = Number(m[4]);
    const year = yy >= 70 ? 1900 + yy : 2000 + yy;
    return epoch(String(year), m[3]!, m[2]!, m[5]!, m[6]!, m[7]!);
  }
  if ((m = ASCTIME.exec(text))) return epoch(m[7]!, m[2]!, m[3]!.trim(), m[4]!, m[5]!, m[6]!);
  return undefined;
}

function epoch(year: string, month: string, day: string, hour: string, minute: string, second: string): number | undefined {
  const [y, mo, d, h, mi, s] = [Number(year), MONTHS.indexOf(month), Number(day), Number(hour), Number(minute), Number(second)];
  // A leap second (60) is the last second of the minute: read as :59, never as a second later.
  if (h > 23 || mi > 59 || s > 60 || d < 1) return undefined;
  const ms = Date.UTC(y, mo, d, h, mi, Math.min(s, 59));
  // Date.UTC rolls 31 Feb over into March: such a header is malformed, not a date.
  if (new Date(ms).getUTCDate() !== d) return undefined;
  return ms / 1000;
}
