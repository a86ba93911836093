/**
 * The open panels of one kind (approvals, elicitations), each bound to one id. Settled
 * panels are remembered briefly, so a late (replayed) message is recognized and logged
 * as such rather than as unknown, and an id is never asked about twice.
 */
export class PanelRegistry<E> {
  private readonly pending = new Map<string, E>();
  private readonly recent = new Map<string, E>();

  constructor(private readonly maxRecent = 50) {}

  /** True for an id that is pending or was decided recently: ids are one-shot. */
  has(id: string): boolean {
    return this.pending.has(id) || this.recent.has(id);
  }

  add(id: string, entry: E): void {
    this.pending.set(id, entry);
  }

  /** Moves a decided entry out of the pending set. */
  settled(id: string): void {
    const entry = this.pending.get(id);
    if (!entry) {
      return;
    }
    this.pending.delete(id);
    this.recent.set(id, entry);
    while (this.recent.size > this.maxRecent) {
      this.recent.delete(this.recent.keys().next().value as string);
    }
  }

  pendingIds(): string[] {
    return [...this.pending.keys()];
  }

  pendingEntries(): E[] {
    return [...this.pending.values()];
  }

  /** A pending or recently decided entry. */
  get(id: string): E | undefined {
    return this.pending.get(id) ?? this.recent.get(id);
  }
}
