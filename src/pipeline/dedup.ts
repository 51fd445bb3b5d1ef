/**
 * The oslo message_ids exported lately, oldest forgotten first. A redelivered message (after a
 * reconnect) whose id is here was already exported and counted: it is acked, not counted again.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds the id; false if it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      // Sets iterate in insertion order: the first value is the oldest.
      this.ids.delete(this.ids.values().next().value as string);
    }
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
