import type { AccessTokenInputs } from "./inputs";
import { lifetimeField, rollingField } from "./lifetime";
import type { Plan } from "./plan";
import { sameRecipients } from "./recipients";
import { DEFAULT_OVERLAP_DAYS, asideName, resealReason } from "./rotation";
import type { AccessTokenState } from "./state";
import { formatEpoch, parseRfc3339 } from "./time";

/**
 * What the preview says, besides the fields it shows, about work the clock made due: why a token
 * is dead and what `up` does about it, why a rotation or a retirement is due. Pure text.
 */
export function timeNotes(olds: AccessTokenState, news: AccessTokenInputs, plan: Plan): string[] {
  const who = `access token "${olds.name}" (id ${olds.tokenId ?? "unknown"})`;
  const notes: string[] = [];
  const h = plan.health;
  if (h?.kind === "live" && h.note) notes.push(`${who}: ${h.note}`);
  if (h?.kind === "recreate") notes.push(`${who} is dead: ${h.reason}`);
  if (h?.kind === "stale-date") notes.push(`${who}${h.alive ? "" : " is dead"}: ${h.reason}; until then \`pulumi up\` leaves this token as it is (no call)`);
  if (h?.kind === "extend") notes.push(`${who} is dead: ${h.reason}; \`pulumi up\` extends it in place to ${formatEpoch(h.until)} (same id, same secret)`);
  if (plan.action !== "update") return notes;
  const field = lifetimeField(news.scope);
  const rolling = news.renewableFor ?? news.expiresIn;
  if (h?.kind !== "extend" && rolling && plan.changed.includes(field) && !plan.rotate) {
    const moved = `${field} ${olds[field] ?? "(default)"} => ${news[field]} (same id, same secret)`;
    // check moves the end when the period itself changed, whatever is left: that is the reason then.
    const before = olds[rollingField(news.scope)];
    if (before !== rolling) {
      const why = before === undefined ? `${rollingField(news.scope)} is now ${rolling}` : `${rollingField(news.scope)} changed ${before} => ${rolling}`;
      const shorter = (parseRfc3339(news[field] ?? "") ?? Infinity) < (parseRfc3339(olds[field] ?? "") ?? -Infinity);
      notes.push(`${who}: ${why}: \`pulumi up\` ${shorter ? "shortens" : "extends"} it in place to a ${rolling} life from today: ${moved}`);
    } else notes.push(`${who}: less than ${news.extendWhenLeft ?? "a third"} of its ${rolling} life is left; \`pulumi up\` extends it in place: ${moved}`);
  }
  if (plan.rotate) {
    const why =
      resealReason(olds.sealTo, news.sealTo, sameRecipients(olds.sealTo, news.sealTo)) ??
      (news.rotationTrigger !== undefined && news.rotationTrigger !== olds.rotationTrigger ? "rotationTrigger has a new value" : `rotation was due on ${olds.rotateAfter ?? "(unknown)"}`);
    const overlap = news.rotation?.overlapDays ?? DEFAULT_OVERLAP_DAYS;
    notes.push(
      `${who}: a rotation is due (${why}); \`pulumi up\` creates generation ${news.generation} under "${news.name}"` +
        (overlap > 0 ? ` and keeps this token working as "${asideName(news.name, olds.generation ?? 1)}" for ${overlap} day(s)` : " and revokes this token at once (overlapDays 0)") +
        (olds.previous ? `; the token kept aside by the last rotation (${olds.previous.tokenId}, "${olds.previous.name}") is revoked first, so that at most two exist` : ""),
    );
  }
  if (plan.retire && olds.previous) {
    notes.push(`${who}: the overlap of the previous token ${olds.previous.tokenId} ("${olds.previous.name}") ended on ${olds.previous.retireAfter}; \`pulumi up\` revokes it`);
  }
  return notes;
}
