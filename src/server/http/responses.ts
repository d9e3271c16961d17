// Response schemas for the route options: each status with a description, the
// error codes it can carry and an example, so /openapi.json documents what the
// server really answers. Shared schemas are referenced by `$id`, which makes
// them named components (`#/components/schemas/Room`), not `def-0`.
import { type TSchema, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AdminUser, User, UserRef } from '../../protocol/accounts.js';
import { Attachment } from '../../protocol/attachments.js';
import { EditMessageBody, MessageChange, Reaction, ReplyPreview } from '../../protocol/changes.js';
import { ERROR_CODE_DOCS } from '../../protocol/code-docs.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { ErrorBody, FieldError, HealthStatus, Message, Room } from '../../protocol/rest.js';
import { SearchResponse, SearchResult } from '../../protocol/search.js';

/** Every schema that responses refer to by `$id`. */
const SHARED_SCHEMAS = [
  Room,
  Attachment,
  Reaction,
  ReplyPreview,
  Message,
  MessageChange,
  EditMessageBody,
  FieldError,
  ErrorBody,
  HealthStatus,
  User,
  AdminUser,
  UserRef,
  SearchResult,
  SearchResponse,
];

/** Makes the shared schemas known to the serializer (and the docs); before any route. */
export function registerSharedSchemas(app: FastifyInstance): void {
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
}

type Shared = (typeof SHARED_SCHEMAS)[number];

/** A reference to a shared schema, as `{"$ref": "Room"}`. */
export const ref = (schema: Shared): TSchema => Type.Unsafe(Type.Ref(schema.$id as string));

/** A success response: `schema` with its description. */
export function ok(description: string, schema: TSchema): TSchema {
  return { ...schema, description };
}

interface ErrorExample {
  code: ErrorCode;
  detail: ErrorBody['detail'];
}

interface HeaderDoc {
  type: 'integer' | 'string';
  description: string;
}

/**
 * An error response: `{detail, code}` with the codes this status carries (in the
 * description) and one example body per code, named by the code.
 */
export function failure(
  summary: string,
  examples: readonly ErrorExample[],
  headers?: Record<string, HeaderDoc>,
): TSchema {
  const codes = [...new Set(examples.map((e) => e.code))];
  const list = codes.map((c) => `\`${c}\`: ${ERROR_CODE_DOCS[c].meaning}.`).join(' ');
  // The `content` form keeps the examples beside the schema in the OpenAPI media object.
  return {
    description: `${summary}. ${list}`,
    ...(headers ? { headers } : {}),
    content: {
      'application/json': {
        schema: ref(ErrorBody),
        examples: Object.fromEntries(
          examples.map((e) => [
            e.code,
            { summary: e.code, value: { detail: e.detail, code: e.code } },
          ]),
        ),
      },
    },
  } as unknown as TSchema;
}

const EXAMPLE_ROOM_ID = '0b9f7c1e-5d2a-4c1e-9a53-2f6d8e4b7a10';

export const invalid = (summary: string, loc: (string | number)[], msg: string, type: string) =>
  failure(summary, [{ code: ErrorCode.VALIDATION_FAILED, detail: [{ loc, msg, type }] }]);

export const roomNotFound = failure('No room with this id', [
  { code: ErrorCode.ROOM_NOT_FOUND, detail: `Room ${EXAMPLE_ROOM_ID} not found` },
]);

export const tooLarge = failure('The request body is too large', [
  { code: ErrorCode.PAYLOAD_TOO_LARGE, detail: 'Request body is too large' },
]);

/** What every `/api/` route may answer besides its own responses. */
export const apiErrors = {
  429: failure(
    'Too many requests from this client address',
    [{ code: ErrorCode.RATE_LIMITED, detail: 'Too many requests; slow down' }],
    { 'Retry-After': { type: 'integer', description: 'Seconds to wait before retrying' } },
  ),
  500: failure('Unexpected server error', [
    { code: ErrorCode.INTERNAL, detail: 'Internal Server Error' },
  ]),
  503: failure(
    'The database is unreachable (while the server shuts down, 503 comes with Fastify\'s own body `{"error", "message", "statusCode"}` and no `code`)',
    [{ code: ErrorCode.STORE_FAILED, detail: 'The message store is unavailable' }],
  ),
};

/** Accounts mode: what every route needing an account may answer besides its own. */
export const authErrors = {
  401: failure('Accounts mode: no valid session cookie or API token', [
    { code: ErrorCode.UNAUTHENTICATED, detail: 'Sign in first' },
  ]),
};

/** 403 for a cookie-authenticated change from another origin, plus the route's own refusals. */
export const refused = (summary: string, examples: readonly ErrorExample[] = []) =>
  failure(summary, [
    ...examples,
    {
      code: ErrorCode.ORIGIN_MISMATCH,
      detail: "This request must come from the server's own origin",
    },
  ]);

export const notFound = (detail: string) =>
  failure(detail, [{ code: ErrorCode.NOT_FOUND, detail }]);
