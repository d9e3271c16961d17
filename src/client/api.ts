// REST calls of the web client. Every failure becomes an ApiError whose `message`
// can be shown to a person as is.

import { ErrorCode } from '../protocol/error-codes.js';
import { EPOCH_HEADER } from '../protocol/frames.js';
import type { Message, Room } from '../protocol/rest.js';

export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unreachable(): boolean {
    return this.status === 0;
  }
}

interface FieldErrorLike {
  loc?: unknown;
  msg?: unknown;
}

/** Turns an `{"detail": ...}` body into one readable sentence. */
export function describeErrorBody(body: unknown, status: number): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string' && detail.length > 0) return detail;
  if (Array.isArray(detail)) {
    const msgs = detail
      .map((d: FieldErrorLike) => (typeof d?.msg === 'string' ? d.msg : null))
      .filter((m): m is string => m !== null);
    if (msgs.length > 0) return msgs.join('; ');
  }
  if (status === 429) return 'Too many requests. Please wait a moment and try again.';
  if (status === 404) return 'Not found.';
  if (status >= 500) return 'The server had a problem. Please try again.';
  return `Request failed (HTTP ${status}).`;
}

/** A page of history and the epoch its seqs belong to. */
export interface Page {
  messages: Message[];
  epoch: string | null;
}

export interface ApiOptions {
  /** Prefix of every path, e.g. '' for the same origin. @default '' */
  base?: string;
  /** @default 10_000 */
  timeoutMs?: number;
  /**
   * Called when the server answers 401 because the session is missing or over (accounts
   * mode); not for a wrong password (`INVALID_CREDENTIALS`), which the form shows itself.
   */
  onUnauthorized?: (err: ApiError) => void;
}

export class Api {
  private readonly base: string;
  private readonly timeoutMs: number;
  /** See {@link ApiOptions.onUnauthorized}; settable, as the app wires it after building views. */
  onUnauthorized: ((err: ApiError) => void) | undefined;

  constructor(opts: ApiOptions = {}) {
    this.base = opts.base ?? '';
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.onUnauthorized = opts.onUnauthorized;
  }

  listRooms(): Promise<Room[]> {
    return this.request<Room[]>('GET', '/api/chat/rooms');
  }

  /** `visibility` is only sent when given (accounts mode), so open mode's body is unchanged. */
  createRoom(name: string, visibility?: 'public' | 'private'): Promise<Room> {
    return this.request<Room>(
      'POST',
      '/api/chat/rooms',
      visibility === undefined ? { name } : { name, visibility },
    );
  }

  async deleteRoom(roomId: string): Promise<void> {
    await this.request<void>('DELETE', `/api/chat/rooms/${encodeURIComponent(roomId)}`);
  }

  /** The most recent `limit` messages (with seq < `before`, if given), oldest first. */
  async messages(
    roomId: string,
    opts: { limit?: number; before?: number } = {},
  ): Promise<Message[]> {
    return (await this.messagePage(roomId, opts)).messages;
  }

  /** Like `messages`, with the history epoch the seqs belong to (null if the server gave none). */
  async messagePage(roomId: string, opts: { limit?: number; before?: number } = {}): Promise<Page> {
    const q = new URLSearchParams();
    q.set('limit', String(opts.limit ?? 100));
    if (opts.before !== undefined) q.set('before', String(opts.before));
    const { data, headers } = await this.exchange<Message[]>(
      'GET',
      `/api/chat/rooms/${encodeURIComponent(roomId)}/messages?${q.toString()}`,
    );
    return { messages: data, epoch: headers.get(EPOCH_HEADER) };
  }

  /** One JSON call; for the routes other modules wrap (see accounts.ts). */
  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return this.request<T>(method, path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.exchange<T>(method, path, body)).data;
  }

  private async exchange<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ data: T; headers: Headers }> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.timeoutMs);
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers:
          body === undefined
            ? { accept: 'application/json' }
            : {
                accept: 'application/json',
                'content-type': 'application/json',
              },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctrl.signal,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(
        0,
        "Can't reach the server. Check your connection.",
        ErrorCode.UNAVAILABLE,
      );
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 204) return { data: undefined as T, headers: res.headers };
    let parsed: unknown = null;
    try {
      parsed = await res.json();
    } catch {
      parsed = null;
    }
    if (!res.ok) {
      const code = (parsed as { code?: unknown } | null)?.code;
      const err = new ApiError(
        res.status,
        describeErrorBody(parsed, res.status),
        typeof code === 'string' ? code : undefined,
      );
      if (res.status === 401 && err.code !== 'INVALID_CREDENTIALS') this.onUnauthorized?.(err);
      throw err;
    }
    return { data: parsed as T, headers: res.headers };
  }
}
