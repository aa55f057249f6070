/** The logger's own warnings: each kind said once, and memory bounded however many there are. */

/**
 * Details remembered per kind at most: details come from data (an invalid
 * type name), so they must not grow memory, or drown the other warnings.
 */
const MAX_DETAILS = 16;

export class Warnings {
  private readonly said = new Map<string, Set<string>>();

  constructor(private readonly sink: (message: string) => void) {}

  /** Says it (a warning must never break logging). */
  say(message: string): void {
    try {
      this.sink(message);
    } catch {
      // Ignored.
    }
  }

  /**
   * Says it once per `kind`, or with `detail` once per detail of the kind (for
   * the first few details; then one note that the rest go unreported).
   */
  once(kind: string, message: string, detail = ''): void {
    let details = this.said.get(kind);
    if (!details) this.said.set(kind, (details = new Set()));
    if (details.has(detail)) return;
    if (details.size === MAX_DETAILS) {
      details.add(detail);
      this.say(`trail-logger: more warnings of this kind (${kind}) are not reported`);
      return;
    }
    if (details.size > MAX_DETAILS) return;
    details.add(detail);
    this.say(message);
  }
}
