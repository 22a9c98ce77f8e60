import { createHash } from 'node:crypto';

/**
 * Kubernetes object names and label values derived from Falaj's names, which allow
 * characters (`_`, capitals, long names) that Kubernetes refuses.
 *
 * - An object name here is a DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63
 *   characters. A Job's name may formally be a 253-character subdomain, but the Job
 *   controller copies it into the pods' `batch.kubernetes.io/job-name` label, whose values
 *   stop at 63.
 * - A label value: empty, or `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63.
 */
export const MAX_NAME_LENGTH = 63;

export const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The first `length` hex digits of the SHA-256 of `text`. */
export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Lower case, runs of anything else than `[a-z0-9]` as one `-`, no dash at either end. */
function dnsLabelPart(text: string, max: number): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '');
  return cleaned.slice(0, max).replace(/-+$/, '');
}

/**
 * The name of one attempt's Job (and of its token Secret):
 * `<job name, cleaned and cut to fit>-<8 hex of the job id's hash>-<attempt>`.
 *
 * The hash of the job id is always there, not only when the name is cut: two jobs may
 * share a name (two projects, or the same spec submitted again while the first one's Job
 * is still kept for `ttlSecondsAfterFinished`), and Kubernetes refuses a second object
 * of the same name in a namespace.
 *
 * @example attemptName('Train Delays_v2', 'job_01j9…', 3) // 'train-delays-v2-5e0c41d7-3'
 */
export function attemptName(jobName: string, jobId: string, attempt: number): string {
  const suffix = `-${shortHash(jobId)}-${attempt}`;
  const base = dnsLabelPart(jobName, MAX_NAME_LENGTH - suffix.length) || 'job';
  return `${base}${suffix}`;
}

/**
 * `text` as a label value: characters Kubernetes refuses become `-`, cut to 63 with no
 * non-alphanumeric character at either end. A value that had to be changed ends in a
 * hash of the original, so two different inputs do not end up with one value.
 */
export function labelValue(text: string): string {
  if (LABEL_VALUE.test(text) && text.length <= MAX_NAME_LENGTH) return text;
  const suffix = `-${shortHash(text)}`;
  const cleaned = text
    .replace(/[^-A-Za-z0-9_.]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_NAME_LENGTH - suffix.length)
    .replace(/[^A-Za-z0-9]+$/, '');
  return cleaned ? `${cleaned}${suffix}` : suffix.slice(1);
}

/** A path segment for a volume's `subPath`: no `/`, no `..`, never empty. */
export function pathSegment(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^\.+/, '');
  return cleaned || shortHash(text);
}
