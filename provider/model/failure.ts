/** A refusal of one input by check: the property it names and why, ending with the fix. */
export interface CheckFailure {
  property: string;
  reason: string;
}
