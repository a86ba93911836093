/**
 * Which progress lines reach the chat, where every line stays in the reply: a line the
 * same as the last one shown is dropped, and lines of one kind (one call's progress
 * ticks) come at growing intervals, `first` ms, then twice that, up to `max` ms, so a
 * long call adds a handful of lines rather than one per tick. A new kind (calling,
 * waiting for approval, another call's progress) shows at once.
 */
export class ProgressLines {
  private lastText: string | undefined;
  private readonly kinds = new Map<string, { at: number; interval: number }>();

  constructor(private readonly now: () => number = Date.now, private readonly first = 1000, private readonly max = 10_000) {}

  /** `text` if it should be shown now, else undefined. `key` names the kind, e.g. `progress:<call id>`. */
  next(key: string, text: string): string | undefined {
    if (text === this.lastText) {
      return undefined;
    }
    const now = this.now();
    const kind = this.kinds.get(key);
    if (kind && now - kind.at < kind.interval) {
      return undefined;
    }
    this.kinds.set(key, { at: now, interval: kind ? Math.min(kind.interval * 2, this.max) : this.first });
    this.lastText = text;
    return text;
  }
}
