import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** A real S3-protocol server (s3rver) on loopback, in a child process. */
export interface RunningS3rver {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  stop(): Promise<void>;
}

// Runs in the child. It exits when its stdin closes, so it never outlives the test worker.
const SERVER = `
import S3rver from 's3rver';
const server = new S3rver({
  address: '127.0.0.1', port: 0, silent: true,
  directory: process.env.S3RVER_DIRECTORY,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET }],
});
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\\n');
process.stdin.on('end', () => server.close().finally(() => process.exit(0)));
process.stdin.resume();
`;

/**
 * Starts s3rver on a free loopback port with `bucket` created, keeping its data in
 * `directory`.
 *
 * Why a child process: s3rver 3.7 encrypts ListObjectsV2 continuation tokens with DES,
 * which OpenSSL 3 (Node 17 and later) only offers with `--openssl-legacy-provider`; in
 * the test worker itself every paginated listing would fail with an InternalError.
 */
export async function startS3rver(directory: string, bucket: string): Promise<RunningS3rver> {
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '--input-type=module', '--eval', SERVER], {
    cwd: fileURLToPath(new URL('../../..', import.meta.url)), // the repository root, to resolve 's3rver'
    env: { ...process.env, S3RVER_DIRECTORY: directory, S3RVER_BUCKET: bucket },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    void exited.then(() => reject(new Error('s3rver exited before listening')));
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
