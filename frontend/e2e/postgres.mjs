// A throwaway PostgreSQL for the journeys that need a team database: the
// cluster scripts/pgcluster runs (app/testkit/pgtest's: a temporary
// directory, a free loopback port, an unprivileged user, trust
// authentication), stopped and removed when stop() closes its input.
// make e2e builds it (KEYSMITH_PGCLUSTER); otherwise it is run with go run.
import { spawn } from 'node:child_process';
import readline from 'node:readline';
import { ROOT } from './harness.mjs';

const START_TIMEOUT_MS = 120_000; // go run may build it first

/**
 * Starts a cluster with one empty database. Returns { url, stop(), pause(),
 * resume() }: pause stops the server in place (connections are cut), resume
 * starts it again on the same port with the same data.
 */
export async function startPostgres() {
  const bin = process.env.KEYSMITH_PGCLUSTER;
  const proc = bin
    ? spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('go', ['run', './scripts/pgcluster'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const stop = async () => {
    proc.stdin.end(); // pgcluster stops the cluster and removes its directory
    await exited;
  };
  const lines = readline.createInterface({ input: proc.stdout });
  // Lines are queued until asked for, so none is lost between two asks.
  const waiting = [];
  const queued = [];
  lines.on('line', (line) => (waiting.length ? waiting.shift()(line) : queued.push(line)));
  const next = () => (queued.length ? Promise.resolve(queued.shift()) : new Promise((resolve) => waiting.push(resolve)));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scripts/pgcluster did not start within ${START_TIMEOUT_MS / 1000}s: ${stderr}`)), START_TIMEOUT_MS);
    proc.once('error', (e) => reject(new Error(`cannot run scripts/pgcluster: ${e.message}`)));
    exited.then((code) => reject(new Error(`scripts/pgcluster exited (${code}): ${stderr}`)));
    next().then((first) =>
      next().then((ready) => {
        clearTimeout(timer);
        if (ready === 'ready') resolve(first);
        else reject(new Error(`scripts/pgcluster printed ${ready} where it says ready`));
      }),
    );
  }).catch(async (e) => {
    await stop();
    throw e;
  });
  const control = async (cmd) => {
    const done = next();
    proc.stdin.write(cmd + '\n');
    const line = await done;
    if (line !== `${cmd} done`) throw new Error(`scripts/pgcluster ${cmd}: ${line} ${stderr}`);
  };
  return { url, stop, pause: () => control('stop'), resume: () => control('start') };
}
