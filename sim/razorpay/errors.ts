/** Razorpay's error body: `{"error": {code, description, source, step, reason, metadata, field}}`. */
export class RazorpayApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly description: string,
    readonly field: string | null = null,
    readonly code = 'BAD_REQUEST_ERROR',
  ) {
    super(description);
  }

  body() {
    return {
      error: {
        code: this.code,
        description: this.description,
        source: this.field ? 'business' : 'NA',
        step: this.field ? 'payment_initiation' : 'NA',
        reason: this.field ? 'input_validation_failed' : 'NA',
        metadata: {},
        ...(this.field ? { field: this.field } : {}),
      },
    };
  }
}

export const badRequest = (description: string, field: string | null = null) =>
  new RazorpayApiError(400, description, field);

export const authFailed = () => new RazorpayApiError(401, 'Authentication failed');

export const notFound = () => new RazorpayApiError(400, 'The id provided does not exist', 'id');
