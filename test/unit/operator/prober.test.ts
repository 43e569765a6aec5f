import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  MemberProber,
  memberKubeConfig,
  type ProbeFunction,
  type ProbeTarget,
  type SecretObject,
} from '../../../src/operator/hub/prober.ts';
import { createLogger } from '../../../src/operator/log.ts';

const NS = 'hub';
const kubeconfig = (server = 'https://127.0.0.1:6443', user: Record<string, unknown> = { token: 't' }) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server, 'certificate-authority-data': 'Zm9v' } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'x',
  });
const secretOf = (text: string, key = 'kubeconfig'): SecretObject => ({
  metadata: { name: 's', namespace: NS },
  data: { [key]: Buffer.from(text).toString('base64') },
});
const target = (name: string, settings: Partial<ProbeTarget['settings']> = {}): ProbeTarget => ({
  name,
  secretRef: { namespace: NS, name: `member-${name}`, key: 'kubeconfig' },
  settings: { periodMs: 1_000, timeoutMs: 500, failureThreshold: 3, successThreshold: 2, ...settings },
});

describe('MemberProber', () => {
  let secrets: Map<string, SecretObject>;
  let answers: Map<string, () => Promise<{ version: string | null }>>;
  let changes: string[];
  let prober: MemberProber;

  const probe: ProbeFunction = (kc) => {
    const server = kc.getCurrentCluster()?.server ?? '';
    const answer = answers.get(server);
    return answer ? answer() : Promise.reject(new Error('connect ECONNREFUSED'));
  };
  const ok =
    (version = 'v1.37.2') =>
    () =>
      Promise.resolve({ version });
  const fail = () => () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'));
  const never = () => () => new Promise<{ version: string | null }>(() => {});

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    secrets = new Map();
    answers = new Map();
    changes = [];
    prober = new MemberProber({
      secretsNamespace: NS,
      secret: (namespace, name) => secrets.get(`${namespace}/${name}`),
      onChange: (name) => changes.push(name),
      log: createLogger('silent'),
      probe,
    });
  });
  afterEach(() => {
    prober.stop();
    vi.useRealTimers();
  });

  const addMember = (name: string, server: string, settings: Partial<ProbeTarget['settings']> = {}) => {
    secrets.set(`${NS}/member-${name}`, secretOf(kubeconfig(server)));
    return target(name, settings);
  };

  it('becomes Reachable at the first answer, with the version', async () => {
    const t = addMember('a', 'https://a:6443');
    answers.set('https://a:6443', ok());
    prober.sync([t]);
    await vi.advanceTimersByTimeAsync(1);
    expect(prober.health('a')).toMatchObject({ state: 'Reachable', kubernetesVersion: 'v1.37.2' });
    expect(changes).toEqual(['a']);
  });

  it('needs failureThreshold lost probes in a row to become Unreachable, and successThreshold answers to come back', async () => {
    const t = addMember('a', 'https://a:6443');
    answers.set('https://a:6443', ok());
    prober.sync([t]);
    await vi.advanceTimersByTimeAsync(1);
    answers.set('https://a:6443', fail());
    await vi.advanceTimersByTimeAsync(2_000); // two lost probes
    expect(prober.health('a').state).toBe('Reachable');
    answers.set('https://a:6443', ok()); // one answer resets the count
    await vi.advanceTimersByTimeAsync(1_000);
    answers.set('https://a:6443', fail());
    await vi.advanceTimersByTimeAsync(2_000);
    expect(prober.health('a').state).toBe('Reachable');
    await vi.advanceTimersByTimeAsync(1_000); // the third in a row
    expect(prober.health('a')).toMatchObject({ state: 'Unreachable', reason: 'ProbeFailed' });
    expect(prober.health('a').message).toContain('ECONNREFUSED');
    answers.set('https://a:6443', ok());
    await vi.advanceTimersByTimeAsync(1_000);
    expect(prober.health('a').state).toBe('Unreachable');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(prober.health('a').state).toBe('Reachable');
  });

  it('a member that never answers neither blocks nor delays another', async () => {
    const slow = addMember('slow', 'https://slow:6443', { failureThreshold: 1 });
    const fast = addMember('fast', 'https://fast:6443');
    answers.set('https://slow:6443', never());
    answers.set('https://fast:6443', ok());
    prober.sync([slow, fast]);
    await vi.advanceTimersByTimeAsync(1);
    expect(prober.health('fast').state).toBe('Reachable');
    expect(prober.health('slow').state).toBe('Unknown');
    // The fake probe never settles; the real one is bounded by the timeout (probeMember's AbortSignal).
    let probesOfFast = 0;
    answers.set('https://fast:6443', () => {
      probesOfFast++;
      return Promise.resolve({ version: 'v1' });
    });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probesOfFast).toBe(5);
  });

  it('says clearly when the Secret is missing, lacks the key, or holds no valid kubeconfig', async () => {
    prober.sync([target('missing')]);
    secrets.set(`${NS}/member-nokey`, secretOf(kubeconfig(), 'config'));
    secrets.set(`${NS}/member-garbage`, secretOf(': not yaml : ['));
    prober.sync([target('missing'), target('nokey'), target('garbage')]);
    await vi.advanceTimersByTimeAsync(1);
    expect(prober.health('missing')).toMatchObject({ state: 'Unreachable', reason: 'SecretNotFound' });
    expect(prober.health('missing').message).toBe('Secret hub/member-missing does not exist.');
    expect(prober.health('nokey')).toMatchObject({ reason: 'KubeconfigKeyMissing' });
    expect(prober.health('nokey').message).toContain('has no key "kubeconfig" (its keys: config)');
    expect(prober.health('garbage')).toMatchObject({ reason: 'KubeconfigInvalid' });
  });

  it('refuses a Secret outside the one namespace it reads', async () => {
    const t = { ...target('a'), secretRef: { namespace: 'kube-system', name: 'x', key: 'kubeconfig' } };
    prober.sync([t]);
    await vi.advanceTimersByTimeAsync(1);
    expect(prober.health('a').message).toContain('outside namespace hub');
  });

  it('probes at once when the Secret is fixed, and forgets deleted members', async () => {
    prober.sync([target('a')]);
    await vi.advanceTimersByTimeAsync(1);
    expect(prober.health('a').reason).toBe('SecretNotFound');
    secrets.set(`${NS}/member-a`, secretOf(kubeconfig('https://a:6443')));
    answers.set('https://a:6443', ok());
    prober.secretChanged(NS, 'member-a');
    await vi.advanceTimersByTimeAsync(1);
    expect(prober.health('a').state).toBe('Reachable');
    prober.sync([]);
    expect(prober.health('a').state).toBe('Unknown');
  });
});

describe('memberKubeConfig', () => {
  it.each([
    [
      'an exec plugin',
      { exec: { command: '/bin/sh', args: ['-c', 'id'], apiVersion: 'client.authentication.k8s.io/v1' } },
      'exec credential plugin',
    ],
    [
      'a client certificate file',
      { 'client-certificate': '/etc/passwd', 'client-key': '/etc/passwd' },
      'names a file',
    ],
    [
      'a token file',
      { 'token-file': '/var/run/secrets/kubernetes.io/serviceaccount/token' },
      'must be inline',
    ],
  ])('refuses a kubeconfig whose user has %s', (_what, user, message) => {
    expect(() => memberKubeConfig(kubeconfig('https://a:6443', user), 'Secret hub/a')).toThrow(message);
  });

  it('refuses a server that is not an http(s) URL', () => {
    expect(() => memberKubeConfig(kubeconfig('file:///etc/passwd'), 'Secret hub/a')).toThrow(
      'not an http(s) URL',
    );
  });

  it('accepts inline credentials', () => {
    expect(memberKubeConfig(kubeconfig(), 'Secret hub/a').getCurrentCluster()?.server).toBe(
      'https://127.0.0.1:6443',
    );
  });
});
