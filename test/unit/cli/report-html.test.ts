// The HTML report rendered by a real headless Chromium: it must lay out (a non-trivial screenshot) and its
// DOM must hold the expected rows. CI installs chromium (Debian package); when CI=true and it is missing
// the test fails, elsewhere it is skipped with a message.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AT, cli, INVENTORY, ROOT } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
if (!present && !inCi) {
  console.warn(`${CHROMIUM} is missing: skipping the HTML rendering test (apt-get install -y chromium)`);
}

const dir = mkdtempSync(join(tmpdir(), 'sovctl-html-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chromium(...args: string[]) {
  const profile = mkdtempSync(join(dir, 'profile-'));
  return spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
  );
}

describe.skipIf(!present && !inCi)('the HTML report in headless Chromium', () => {
  it('renders to a non-trivial screenshot and its DOM holds the expected rows', {
    timeout: 180_000,
  }, async () => {
    expect(present, `${CHROMIUM} is missing; CI must install the Debian package chromium`).toBe(true);
    const r = await cli('report', '--inventory', INVENTORY, '--at', AT, '-o', 'html');
    expect(r.code).toBe(0);
    const page = join(dir, 'report.html');
    writeFileSync(page, r.stdout);

    const png = join(dir, 'report.png');
    const shot = chromium(`--screenshot=${png}`, '--window-size=1280,2000', `file://${page}`);
    expect(shot.status, shot.stderr).toBe(0);
    expect(existsSync(png)).toBe(true);
    const image = readFileSync(png);
    expect(image.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(image.readUInt32BE(16)).toBe(1280);
    expect(image.readUInt32BE(20)).toBe(2000);
    // A blank 1280x2000 page compresses to a few kilobytes; text and tables do not.
    expect(statSync(png).size).toBeGreaterThan(50_000);

    const dump = chromium('--dump-dom', `file://${page}`);
    expect(dump.status, dump.stderr).toBe(0);
    const dom = dump.stdout;
    expect(dom).toContain('<h1>Sovereignty report</h1>');
    const rows = [...dom.matchAll(/<tr class="placement" data-node="([^"]+)" data-conforms="([^"]+)">/g)].map(
      (m) => `${m[1]}=${m[2]}`,
    );
    // The cluster policy's nodes, then the namespaced policies' (analytics, then payments).
    expect(rows).toEqual([
      'fr-lapse-1=false',
      'nl-ams-1=false',
      'fr-par-1=true',
      'de-fra-1=false',
      'fr-lapse-1=false',
      'fr-par-1=true',
    ]);
    const clusters = [...dom.matchAll(/<tr class="cluster-placement" data-cluster="([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(clusters).toEqual(['lyon-1', 'milan-1', 'paris-1']);
    expect([...dom.matchAll(/<tr class="service" data-service="/g)]).toHaveLength(13);
    expect(dom).toContain('https://certificates.example.eu/cispe/sov-0042');
  });

  it('shows the placement history of a quarter from the decision log, far beyond the Events an hour holds', {
    timeout: 180_000,
  }, async () => {
    // The log of the e2e badge expiry, with everything before the expiry moved 90 days back: pods placed
    // in September, evicted on 1 December.
    const expiry = Date.parse('2026-12-01T06:05:24Z');
    const shifted = readFileSync(join(ROOT, 'test/fixtures/audit/decision-log.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const record = JSON.parse(line);
        const t = Date.parse(record.time);
        if (t < expiry) record.time = new Date(t - 90 * 86_400_000).toISOString();
        return JSON.stringify(record);
      });
    const log = join(dir, 'quarter.jsonl');
    writeFileSync(log, `${shifted.join('\n')}\n`);
    const r = await cli(
      'report',
      '--inventory',
      INVENTORY,
      '--at',
      AT,
      '--audit-log',
      log,
      '--since',
      '2026-09-01',
      '--until',
      '2026-12-02',
      '-n',
      'payments',
      '-o',
      'html',
    );
    expect(r.code, r.stderr).toBe(0);
    const page = join(dir, 'quarter.html');
    writeFileSync(page, r.stdout);
    const png = join(dir, 'quarter.png');
    const shot = chromium(`--screenshot=${png}`, '--window-size=1280,2000', `file://${page}`);
    expect(shot.status, shot.stderr).toBe(0);
    expect(statSync(png).size).toBeGreaterThan(50_000);
    const dom = chromium('--dump-dom', `file://${page}`).stdout;
    expect(dom).toContain('<h2>Placement history (decision log)</h2>');
    const placements = [
      ...dom.matchAll(
        /<tr class="history-placement"><td>([^<]+)<\/td><td>([^<]+)<\/td>(?:<td>[^<]*<\/td>){2}<td>([^<]+)<\/td><td>([^<]+)<\/td>/g,
      ),
    ]
      .map((m) => [m[1], m[2], m[3]?.slice(0, 10), m[4]?.slice(0, 10)])
      .filter(([pod]) => pod?.startsWith('payments/expiring-'));
    expect(placements).toEqual([
      ['payments/expiring-6cddb6d4f9-fc6t5', 'exp-1', '2026-09-02', '2026-12-01'],
      ['payments/expiring-6cddb6d4f9-ktp86', 'exp-1', '2026-09-02', '2026-12-01'],
      ['payments/expiring-6cddb6d4f9-zzs6b', 'sov-1', '2026-12-01', 'still runn'],
      ['payments/expiring-6cddb6d4f9-bwbln', 'sov-2', '2026-12-01', 'still runn'],
    ]);
    // Both pods of the policy moved once, on 1 December (the revocation scenario's moves are there too).
    const moves = [
      ...dom.matchAll(/<tr class="history-move"><td>([^<]+)<\/td><td>(payments\/expiring-[^<]+)<\/td>/g),
    ];
    expect(moves.map((m) => m[1]?.slice(0, 10))).toEqual(['2026-12-01', '2026-12-01']);
  });
});
