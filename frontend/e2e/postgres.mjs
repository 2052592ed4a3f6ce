// A throwaway PostgreSQL for the journeys that need a team database: the
// cluster scripts/pgcluster runs (app/testkit/pgtest's: a temporary
// directory, a free loopback port, an unprivileged user, trust
// authentication), stopped and removed when stop() closes its input.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { ROOT } from './harness.mjs';

const START_TIMEOUT_MS = 120_000; // go run may build it first

/** Starts a cluster with one empty database. Returns { url, stop() }. */
export async function startPostgres() {
  const proc = spawn('go', ['run', './scripts/pgcluster'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const stop = async () => {
    proc.stdin.end(); // pgcluster stops the cluster and removes its directory
    await exited;
  };
  const lines = readline.createInterface({ input: proc.stdout });
  const url = await new Promise((resolve, reject) => {
    let first = '';
    const timer = setTimeout(() => reject(new Error(`scripts/pgcluster did not start within ${START_TIMEOUT_MS / 1000}s: ${stderr}`)), START_TIMEOUT_MS);
    proc.once('error', (e) => reject(new Error(`cannot run scripts/pgcluster: ${e.message}`)));
    exited.then((code) => reject(new Error(`scripts/pgcluster exited (${code}): ${stderr}`)));
    lines.on('line', (line) => {
      if (line === 'ready') {
        clearTimeout(timer);
        resolve(first);
      } else if (!first) {
        first = line;
      }
    });
  }).catch(async (e) => {
    await stop();
    throw e;
  });
  return { url, stop };
}
