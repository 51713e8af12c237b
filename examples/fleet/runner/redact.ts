/**
 * One short line for a summary or a progress line. The provider's messages carry no secret by
 * design; this also strips what would be one if anything upstream slipped (a session or bearer
 * token, a password in a URL) so that the runner never prints one.
 */
export function oneLine(text: string, max = 160): string {
  const flat = text
    .replace(/\b(QSDK|Bearer)\s+\S+/gi, "$1 [redacted]")
    .replace(/(\w+:\/\/)[^/@\s]+@/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
