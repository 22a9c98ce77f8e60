/** An error answer from the Falaj API (RFC 9457 problem details), or a transport failure. */
export class FalajApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly problem?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'FalajApiError';
  }
}
