/** The `code` of an error answer for each status, when nothing more specific is known. */
export const CODE_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
  500: 'internal_error',
  503: 'unavailable',
};

/** The code for a status: its own, or the class's (`bad_request`, `internal_error`). */
export function codeOfStatus(status: number): string {
  return CODE_OF_STATUS[status] ?? (status < 500 ? 'bad_request' : 'internal_error');
}

/**
 * Domain errors carry the HTTP status they map to and a machine-readable code, so the API's
 * single error handler can answer them without knowing every error class.
 */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
    readonly headers: Record<string, string> = {},
    readonly code: string = codeOfStatus(statusCode),
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, code = 'validation_failed') {
    super(message, 400, {}, code);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message: string, code = 'unauthorized') {
    super(message, 401, {}, code);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message: string, code = 'forbidden') {
    super(message, 403, {}, code);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string, code = 'not_found') {
    super(message, 404, {}, code);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, code = 'conflict') {
    super(message, 409, {}, code);
  }
}

/** A create repeated under its Idempotency-Key with a different request. */
export class IdempotencyKeyReusedError extends ConflictError {
  constructor(key: string) {
    super(
      `Idempotency-Key '${key}' was already used for a different request`,
      'idempotency_key_reused',
    );
  }
}

export class RateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(
      `Rate limit exceeded. Try again in ${retryAfterSeconds} second${retryAfterSeconds === 1 ? '' : 's'}.`,
      429,
      {
        'retry-after': String(retryAfterSeconds),
      },
    );
  }
}

export class ServiceUnavailableError extends DomainError {
  constructor(message: string, code = 'unavailable') {
    super(message, 503, {}, code);
  }
}
