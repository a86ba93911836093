import type { MementoLike } from '../../src/common/approval/pins';

/** A Memento held in memory, cloning values the way VS Code's global state stores JSON. */
export class MemoryMemento implements MementoLike {
  private readonly values = new Map<string, unknown>();

  get<T>(key: string): T | undefined {
    const v = this.values.get(key);
    return v === undefined ? undefined : structuredClone(v) as T;
  }

  async update(key: string, value: unknown): Promise<void> {
    if (value === undefined) {
      this.values.delete(key);
    } else {
      this.values.set(key, structuredClone(value));
    }
  }
}
