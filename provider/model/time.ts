/**
 * RFC 3339 times, read strictly: a date that does not exist is refused, never moved (JavaScript's
 * Date turns 30 February into 2 March and 24:00 into the next day). Commvault keeps whole seconds.
 */
const SHAPE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

/** Seconds from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z: the years a canonical time can spell. */
const FIRST = -62_167_219_200;
const LAST = 253_402_300_799;

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number) => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;

/** Days from 1970-01-01 to a proleptic Gregorian date (no Date: it reads years 0-99 as 19xx). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

export type TimeReading = { seconds: number } | { problem: string };

/** Epoch seconds of an RFC 3339 time, or what is wrong with it in words. */
export function readRfc3339(text: string): TimeReading {
  const m = SHAPE.exec(text);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(text)) return { problem: "has no offset: add Z for UTC, or +hh:mm" };
    if (/^[+-]?\d{5,}-/.test(text) || /^-\d{4}-/.test(text)) return { problem: "has a year outside 0000 to 9999" };
    return { problem: "is not an RFC 3339 time (YYYY-MM-DDThh:mm:ssZ or with an offset +hh:mm)" };
  }
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12) return { problem: `has month ${mo}, and months run from 01 to 12` };
  if (d < 1 || d > daysIn(y, mo)) return { problem: `has day ${d}, and ${MONTHS[mo - 1]} ${y} has ${daysIn(y, mo)} days` };
  if (h > 23) return { problem: `has hour ${h}, and hours run from 00 to 23 (write 00:00 of the next day for midnight)` };
  if (mi > 59) return { problem: `has minute ${mi}, and minutes run from 00 to 59` };
  if (s > 59) return { problem: `has second ${s}; seconds run from 00 to 59 (leap seconds are not kept)` };
  let offset = 0;
  if (m[8]) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return { problem: `has the offset ${m[8]}${m[9]}:${m[10]}, which is not one (hours 00 to 23, minutes 00 to 59)` };
    offset = (m[8] === "-" ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const seconds = daysFromCivil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset;
  if (seconds < FIRST || seconds > LAST) return { problem: "falls outside the years 0000 to 9999 once moved to UTC" };
  return { seconds };
}

/** Epoch seconds of an RFC 3339 time, or undefined when it is not one (or names no real instant). */
export function parseRfc3339(text: string): number | undefined {
  const r = readRfc3339(text);
  return "seconds" in r ? r.seconds : undefined;
}

/** The canonical spelling: UTC, whole seconds, `Z`. Equal instants in any offset are equal text. */
export function formatEpoch(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
