// A throwaway PostgreSQL for the journeys that need a team database, started
// the way app/testkit/pgtest starts one for the Go tests: Debian's binaries
// (make deps), initdb into a temporary directory owned by an unprivileged
// user (as root: postgres, through runuser), trust authentication, a free
// loopback port only, fsync off; stopped and removed by stop(). With
// KEYSMITH_TEST_POSTGRES set to a postgres:// URL, that server is used
// instead (its user must be allowed to create databases).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './harness.mjs';

function pgBin() {
  if (process.env.KEYSMITH_PG_BIN) return process.env.KEYSMITH_PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, 'bin', 'initdb'))) : [];
  majors.sort((a, b) => Number(b) - Number(a));
  if (majors.length === 0) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found: install Debian\'s postgresql package (make deps)');
  return path.join(root, majors[0], 'bin');
}

/**
 * Starts a cluster (or takes KEYSMITH_TEST_POSTGRES) and creates an empty
 * database in it. Returns { url, stop() }.
 */
export async function startPostgres() {
  const name = `k_e2e_${process.pid}_${Date.now()}`;
  if (process.env.KEYSMITH_TEST_POSTGRES) {
    const base = new URL(process.env.KEYSMITH_TEST_POSTGRES);
    const run = (sql) => execFileSync('psql', [base.href, '-v', 'ON_ERROR_STOP=1', '-c', sql], { stdio: 'pipe' });
    run(`CREATE DATABASE ${name}`);
    const url = new URL(base.href);
    url.pathname = `/${name}`;
    return { url: url.href, stop: async () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
  }
  const bin = pgBin();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keysmith-e2e-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['postgres:', dir]);
  const run = (tool, args) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args], { cwd: dir, stdio: 'pipe' })
      : execFileSync(path.join(bin, tool), args, { cwd: dir, stdio: 'pipe' });
  const data = path.join(dir, 'data');
  let started = false;
  const stop = async () => {
    if (started) {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        /* already gone */
      }
      started = false;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    run('initdb', ['-D', data, '-U', 'keysmith', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
    const port = await freePort();
    run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60', '-o',
      `-p ${port} -k '${dir}' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off`, 'start']);
    started = true;
    run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'keysmith', name]);
    return { url: `postgres://keysmith@127.0.0.1:${port}/${name}?sslmode=disable`, stop };
  } catch (e) {
    await stop();
    throw new Error(`cannot start PostgreSQL for the journey: ${e.message}\n${e.stderr ?? ''}`);
  }
}
