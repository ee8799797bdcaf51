/** Remembers which messages were shown, so each problem is announced once. Pure. */
export class Once {
  private readonly seen = new Set<string>();

  /** True the first time `key` is seen (until forgotten). */
  first(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }

  /** Forgets keys that start with `prefix` (all keys when omitted). */
  forget(prefix = ""): void {
    for (const key of [...this.seen]) if (key.startsWith(prefix)) this.seen.delete(key);
  }
}
