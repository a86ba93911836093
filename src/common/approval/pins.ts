import type { ToolDefinition } from './canonical';

/** The definition a user last approved for one tool of one server. */
export interface Pin {
  readonly hash: string;
  readonly definition: ToolDefinition;
  /** ISO time of the approval that set the pin. */
  readonly pinnedAt: string;
}

/**
 * Persistent per server + tool state: the pinned definition and, only when the user
 * opted in, the persistent allow-list. Survives restarts (VS Code Memento).
 */
export interface PinStore {
  getPin(serverUrl: string, tool: string): Pin | undefined;
  setPin(serverUrl: string, tool: string, pin: Pin): Promise<void>;
  isAllowed(serverUrl: string, tool: string, hash: string): boolean;
  allow(serverUrl: string, tool: string, hash: string): Promise<void>;
  /** Empties the allow-list; pins stay so a changed tool is still noticed afterwards. */
  clearAllowList(): Promise<void>;
  /** Forgets everything, pins included. */
  clearAll(): Promise<void>;
}

/** The two methods of `vscode.Memento` the store needs, so tests pass a plain object. */
export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

interface StoredState {
  readonly version: 1;
  readonly pins: Record<string, Pin>;
  readonly allowed: Record<string, string[]>;
}

const EMPTY: StoredState = { version: 1, pins: {}, allowed: {} };

// A NUL byte cannot occur in a URL or a tool name, so the key cannot be forged by
// choosing a tool name that contains the separator.
function keyOf(serverUrl: string, tool: string): string {
  return `${serverUrl}\u0000${tool}`;
}

/** A PinStore kept under one key of a Memento (globalState). */
export class MementoPinStore implements PinStore {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly memento: MementoLike, private readonly key = 'secureMcp.approval.pins.v1') {}

  getPin(serverUrl: string, tool: string): Pin | undefined {
    return this.state().pins[keyOf(serverUrl, tool)];
  }

  setPin(serverUrl: string, tool: string, pin: Pin): Promise<void> {
    return this.change(s => ({ ...s, pins: { ...s.pins, [keyOf(serverUrl, tool)]: pin } }));
  }

  isAllowed(serverUrl: string, tool: string, hash: string): boolean {
    return this.state().allowed[keyOf(serverUrl, tool)]?.includes(hash) ?? false;
  }

  allow(serverUrl: string, tool: string, hash: string): Promise<void> {
    return this.change(s => {
      const k = keyOf(serverUrl, tool);
      const list = s.allowed[k] ?? [];
      return list.includes(hash) ? s : { ...s, allowed: { ...s.allowed, [k]: [...list, hash] } };
    });
  }

  clearAllowList(): Promise<void> {
    return this.change(s => ({ ...s, allowed: {} }));
  }

  clearAll(): Promise<void> {
    return this.change(() => EMPTY);
  }

  private state(): StoredState {
    const raw = this.memento.get<unknown>(this.key);
    if (!raw || typeof raw !== 'object' || (raw as StoredState).version !== 1) {
      return EMPTY;
    }
    const s = raw as Partial<StoredState>;
    return {
      version: 1,
      pins: s.pins && typeof s.pins === 'object' ? s.pins : {},
      allowed: s.allowed && typeof s.allowed === 'object' ? s.allowed : {}
    };
  }

  // Serialized so two approvals finishing together cannot overwrite each other.
  private change(fn: (s: StoredState) => StoredState): Promise<void> {
    const next = this.queue.then(() => Promise.resolve(this.memento.update(this.key, fn(this.state()))));
    this.queue = next.catch(() => undefined);
    return next;
  }
}
