import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ErrorBody, FieldError } from '../../protocol/rest.js';
import { ChatError } from '../errors.js';
import { StoreError } from '../storage/store-error.js';

const LOCATION: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

/** Ajv errors as FastAPI-style `{loc, msg, type}` entries. */
function fieldErrors(error: FastifyError): FieldError[] {
  const where = LOCATION[error.validationContext ?? 'body'] ?? 'body';
  return (error.validation ?? []).map((v) => {
    const path = v.instancePath.split('/').filter(Boolean);
    const missing = (v.params as { missingProperty?: string }).missingProperty;
    if (missing) path.push(missing);
    return { loc: [where, ...path], msg: v.message ?? 'Invalid value', type: v.keyword };
  });
}

/**
 * One place turns every failure into `{"detail": ...}`: known ChatErrors keep their
 * status, framework errors are mapped to the original API's codes, anything
 * else is a 500 that never shows its message.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let status: number;
    let body: ErrorBody;
    if (error instanceof StoreError) {
      // The same status whichever store failed (the domain's STORE_FAILED).
      status = 503;
      body = { detail: 'The message store is unavailable', code: ErrorCode.STORE_FAILED };
    } else if (error instanceof ChatError) {
      status = error.status;
      body = { detail: error.fields ?? error.message, code: error.code };
      if (error.headers) reply.headers(error.headers);
    } else if (error.validation) {
      status = 422;
      body = { detail: fieldErrors(error), code: ErrorCode.VALIDATION_FAILED };
    } else if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      status = 413;
      body = { detail: 'Request body is too large', code: ErrorCode.PAYLOAD_TOO_LARGE };
    } else if (error.code?.startsWith('FST_ERR_CTP_')) {
      // Not JSON, invalid JSON, empty JSON body: the original answers these with 422.
      status = 422;
      body = {
        detail: [
          { loc: ['body'], msg: 'Request body must be a JSON object', type: 'json_invalid' },
        ],
        code: ErrorCode.VALIDATION_FAILED,
      };
    } else if (
      typeof error.statusCode === 'number' &&
      error.statusCode >= 400 &&
      error.statusCode < 500
    ) {
      status = error.statusCode;
      body = { detail: error.message };
    } else {
      status = 500;
      body = { detail: 'Internal Server Error', code: ErrorCode.INTERNAL };
    }
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.code, status }, 'request rejected');
    reply.code(status).type('application/json').send(body);
  });

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ detail: 'Not Found', code: ErrorCode.NOT_FOUND } satisfies ErrorBody);
  });
}

/**
 * Errors the router raises before any route or hook runs: a path with a malformed
 * percent-escape (`/api/chat/rooms/%ZZ`) and an over-long path parameter. Fastify's
 * own answer is a JSON 400/414 in another shape; this keeps `{"detail", "code"}`.
 */
export function frameworkErrors(error: FastifyError, _request: unknown, reply: FastifyReply): void {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const status = tooLong ? 414 : 400;
  const body: ErrorBody = {
    detail: tooLong ? 'A path segment is too long' : 'The request path is not a valid URL',
    code: ErrorCode.BAD_REQUEST,
  };
  reply.code(status).type('application/json').send(body);
}
