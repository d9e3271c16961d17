// A server history the client unit tests' fake REST API answers from.
import type { Api, Page } from '../../../src/client/api.js';
import type { Message } from '../../../src/protocol/rest.js';

export class FakeApi {
  history: Message[] = [];
  calls: { before?: number; limit?: number }[] = [];
  failWith: Error | null = null;
  /** The history epoch the fake server reports (null: no header). */
  epoch: string | null = null;
  private readonly holds: Promise<void>[] = [];

  /** As the client's `Api` (only the message calls are used). */
  get api(): Api {
    return this as unknown as Api;
  }

  append(username: string, content: string, client_id?: string): Message {
    const seq = (this.history[this.history.length - 1]?.seq ?? 0) + 1;
    const m: Message = {
      id: `id-${seq}`,
      room_id: 'r',
      username,
      content,
      timestamp: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
      seq,
      ...(client_id ? { client_id } : {}),
    };
    this.history.push(m);
    return m;
  }

  /** The next call waits for the returned function before it answers (from the history as it is then). */
  holdNext(): () => void {
    let release!: () => void;
    this.holds.push(
      new Promise((resolve) => {
        release = resolve;
      }),
    );
    return release;
  }

  async messages(_room: string, opts: { limit?: number; before?: number }): Promise<Message[]> {
    this.calls.push(opts);
    const hold = this.holds.shift();
    if (hold) await hold;
    if (this.failWith) throw this.failWith;
    const limit = opts.limit ?? 100;
    const older = this.history.filter((m) => opts.before === undefined || m.seq < opts.before);
    return older.slice(-limit);
  }

  async messagePage(room: string, opts: { limit?: number; before?: number }): Promise<Page> {
    const messages = await this.messages(room, opts);
    return { messages, epoch: this.epoch };
  }

  /** Replaces the whole history, as a restore from backup does. */
  restore(keep: number, epoch: string): void {
    this.history = this.history
      .slice(0, keep)
      .map((m) => ({ ...m, id: `restored-${m.seq}`, content: `restored ${m.content}` }));
    this.epoch = epoch;
  }
}
