import { Ajv } from 'ajv';
import type { FastifyInstance, FastifySchema } from 'fastify';

/**
 * JSON bodies are validated strictly (`{"name": 42}` is an error, as in the
 * original API), while query strings and path parameters, which are always
 * text, are coerced to the types their schemas declare.
 */
export function registerValidators(app: FastifyInstance): void {
  const strict = new Ajv({
    coerceTypes: false,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  const coercing = new Ajv({
    coerceTypes: true,
    useDefaults: true,
    removeAdditional: false,
    strict: false,
  });
  app.setValidatorCompiler<FastifySchema>(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  );
}
