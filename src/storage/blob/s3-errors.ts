/** What the AWS SDK puts on the errors it raises (service errors and network errors alike). */
type SdkError = Error & { $metadata?: { httpStatusCode?: number }; Code?: string };

/**
 * True when S3 says the object is not there: `NoSuchKey` from GET, a bare 404 from HEAD
 * (which has no body, so the SDK names it `NotFound`). A missing bucket is also a 404 but
 * is a broken configuration, not a missing object.
 */
export function isS3ObjectMissing(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const { name, $metadata } = err as SdkError;
  if (isS3BucketMissing(err)) return false;
  return name === 'NoSuchKey' || name === 'NotFound' || $metadata?.httpStatusCode === 404;
}

/** True when the bucket itself does not exist. */
export function isS3BucketMissing(err: unknown): boolean {
  return err instanceof Error && ((err as SdkError).name === 'NoSuchBucket' || (err as SdkError).Code === 'NoSuchBucket');
}
