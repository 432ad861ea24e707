// Requests are checked with zod where they are read (request-checks.ts, inputs.ts), never with fastify's
// route schemas, so fastify is given compilers of its own that refuse any schema instead of building its
// default ones: those load ajv and fast-json-stringify (~50 ms of CPU on every start of the peer, cold start,
// issue 17) for nothing. A route declared with a schema fails loudly when it is added, naming why.
import type { FastifyServerOptions } from 'fastify';

function refuse(): never {
  throw new Error('fastify route schemas are not used here: check the request with zod where it is read');
}

export const NO_ROUTE_SCHEMAS: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildValidator: () => refuse,
    buildSerializer: () => refuse,
  },
};
