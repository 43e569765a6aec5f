// Property tests over what the webhook can receive: any JSON body, and AdmissionReviews whose pod has
// the wrong type in any field admission reads. Admission never throws, always answers in a well-formed
// way, and never admits a pod an Enforce policy selects without the gate and the verdict term.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationAtMost } from '../../../src/api/common.ts';
import { SovereigntyPolicyDef } from '../../../src/api/index.ts';
import {
  type AdmissionOutcome,
  admitReview,
  type PolicyLookup,
} from '../../../src/cluster/admission/admit-pod.ts';
import { podMutation } from '../../../src/cluster/admission/pod-mutation.ts';
import { parseDuration } from '../../../src/domain/duration.ts';
import { policiesSelecting } from '../../../src/domain/selection.ts';
import { applyJsonPatch, decodePatch, NS, notPinned, policy } from './support.ts';
import { capturingLogger, type RunningWebhook, startTestWebhook } from './tls.ts';

const PURE_RUNS = 5_000;
const HTTPS_RUNS = 300;

// One policy selects every pod of the namespace, so every admitted pod there must be pinned; another
// selects by label and asks for a shorter node-failure toleration.
const policies = [
  policy('all'),
  policy('ledger', {
    selector: { matchLabels: { app: 'ledger' } },
    failover: { nodeFailureToleration: '45s' },
  }),
  policy('audit', { mode: 'Audit' }),
];
const lookup: PolicyLookup = (namespace) => (namespace === NS ? policies : []);

const hostile = fc.oneof(
  fc.constantFrom(null, 5, -1, 0.5, 'x', '', true, [], {}, [null], [5], ['x'], [{}], [[]], { name: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
);
/** A field that is absent, valid, or of any other shape. */
const field = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof(
    { weight: 8, arbitrary: valid },
    { weight: 1, arbitrary: hostile },
    { weight: 2, arbitrary: fc.constant(undefined) },
  );

const labelValue = fc.constantFrom('ledger', 'web', '', 'a/b');
const requirementArb = fc.record({
  key: field(fc.constantFrom('zone', 'kubernetes.io/os')),
  operator: field(fc.constantFrom('In', 'NotIn', 'Exists')),
  values: field(fc.array(fc.constantFrom('a', 'b'), { maxLength: 2 })),
});
const termArb = fc.record(
  {
    matchExpressions: field(fc.array(field(requirementArb), { maxLength: 2 })),
    matchFields: field(fc.array(requirementArb, { maxLength: 1 })),
  },
  { requiredKeys: [] },
);
const tolerationArb = fc.record(
  {
    key: field(
      fc.constantFrom('node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable', 'dedicated'),
    ),
    operator: field(fc.constantFrom('Exists', 'Equal')),
    effect: field(fc.constantFrom('NoExecute', 'NoSchedule')),
    tolerationSeconds: field(fc.integer({ min: 0, max: 10_000 })),
  },
  { requiredKeys: [] },
);
const podArb = fc.record(
  {
    apiVersion: fc.constant('v1'),
    kind: fc.constant('Pod'),
    metadata: field(
      fc.record(
        {
          name: field(fc.constantFrom('p', 'ledger-0')),
          generateName: field(fc.constant('ledger-')),
          labels: field(fc.dictionary(fc.constantFrom('app', 'tier'), field(labelValue), { maxKeys: 2 })),
          annotations: field(
            fc.dictionary(fc.constantFrom('team', 'sovereign-placement.io/policies'), field(fc.string()), {
              maxKeys: 2,
            }),
          ),
          ownerReferences: field(
            fc.array(
              fc.record({
                kind: field(fc.constantFrom('ReplicaSet', 'Job', 'X')),
                name: field(fc.constant('o')),
                controller: field(fc.boolean()),
              }),
              { maxLength: 2 },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    spec: field(
      fc.record(
        {
          containers: fc.constant([{ name: 'c', image: 'i' }]),
          schedulingGates: field(
            fc.array(
              field(
                fc.record({ name: field(fc.constantFrom('sovereign-placement.io/conformance', 'other')) }),
              ),
              { maxLength: 2 },
            ),
          ),
          tolerations: field(fc.array(field(tolerationArb), { maxLength: 3 })),
          affinity: field(
            fc.record(
              {
                podAffinity: field(fc.jsonValue({ maxDepth: 4 })),
                nodeAffinity: field(
                  fc.record(
                    {
                      preferredDuringSchedulingIgnoredDuringExecution: field(fc.jsonValue({ maxDepth: 3 })),
                      requiredDuringSchedulingIgnoredDuringExecution: field(
                        fc.record(
                          { nodeSelectorTerms: field(fc.array(field(termArb), { maxLength: 3 })) },
                          { requiredKeys: [] },
                        ),
                      ),
                    },
                    { requiredKeys: [] },
                  ),
                ),
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);
const reviewArb = fc.record({
  apiVersion: fc.constant('admission.k8s.io/v1'),
  kind: fc.constant('AdmissionReview'),
  request: fc.record(
    {
      uid: fc.oneof({ weight: 8, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostile }),
      operation: fc.oneof(
        { weight: 4, arbitrary: fc.constant('CREATE') },
        { weight: 1, arbitrary: field(fc.constantFrom('UPDATE', 'DELETE')) },
      ),
      namespace: fc.oneof(
        { weight: 4, arbitrary: fc.constant(NS) },
        { weight: 1, arbitrary: field(fc.constant('other')) },
      ),
      object: fc.oneof({ weight: 8, arbitrary: podArb }, { weight: 1, arbitrary: hostile }),
    },
    { requiredKeys: ['uid'] },
  ),
});

/** Every property an answer must have, whatever the body was; returns nothing, throws on a violation. */
function checkOutcome(body: unknown, outcome: AdmissionOutcome): void {
  if (outcome.httpStatus === 400) {
    expect(typeof outcome.message).toBe('string');
    return;
  }
  expect(outcome.httpStatus).toBe(200);
  const { response } = outcome.review;
  expect(outcome.review).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  const request = (body as { request: Record<string, unknown> }).request;
  expect(response.uid).toBe(request.uid);
  expect(typeof response.allowed).toBe('boolean');
  if (!response.allowed) {
    expect(response.status?.message).toMatch(/^sovereign-placement: /);
    expect(response.patch).toBeUndefined();
    return;
  }
  expect(outcome.failure).toBeUndefined();
  if (request.operation !== 'CREATE' || request.namespace !== NS) return;
  // Admitted in the namespace: the "all" policy selects it, so it must be pinned by the patch, and for
  // every other Enforce policy whose selector matches its labels.
  const pod = request.object as { metadata?: { labels?: Record<string, string> } };
  const selected = policiesSelecting(policies, { namespace: NS, labels: pod.metadata?.labels ?? {} }).filter(
    (p) => p.spec.mode === 'Enforce',
  );
  expect(selected.length).toBeGreaterThan(0);
  expect(response.patchType).toBe('JSONPatch');
  const patched = applyJsonPatch(request.object, decodePatch(response.patch));
  expect(notPinned(patched, selected)).toBeUndefined();
}

describe('admission properties (pure)', () => {
  it(`answers any value without throwing (${PURE_RUNS} cases)`, () => {
    let ran = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({ request: fc.anything() }),
          fc.record({ request: fc.record({ uid: fc.string({ minLength: 1 }) }) }),
        ),
        (body) => {
          ran++;
          const outcome = admitReview(body, lookup);
          if (outcome.httpStatus === 200) expect(outcome.review.response.allowed).toBe(false);
          else expect(outcome.httpStatus).toBe(400);
        },
      ),
      { numRuns: PURE_RUNS },
    );
    console.log(`admission property: ${ran} arbitrary values answered`);
  });

  it(`never admits a selected pod unpinned, whatever the shape of its fields (${PURE_RUNS} cases)`, () => {
    const tally = { ran: 0, pinned: 0, denied: 0, http400: 0 };
    fc.assert(
      fc.property(reviewArb, (body) => {
        tally.ran++;
        const outcome = admitReview(body, lookup);
        checkOutcome(body, outcome);
        if (outcome.httpStatus === 400) tally.http400++;
        else if (!outcome.review.response.allowed) tally.denied++;
        else if (outcome.review.response.patch) tally.pinned++;
      }),
      { numRuns: PURE_RUNS },
    );
    console.log(`admission property: ${JSON.stringify(tally)}`);
    // The generator reaches every kind of answer, so the property is not vacuous.
    expect(tally.pinned).toBeGreaterThan(PURE_RUNS / 20);
    expect(tally.denied).toBeGreaterThan(PURE_RUNS / 20);
  });
});

describe('admission properties over HTTPS', () => {
  let webhook: RunningWebhook;
  const logger = capturingLogger();
  beforeAll(async () => {
    webhook = await startTestWebhook(lookup, logger.log);
  });
  afterAll(async () => {
    await webhook?.close();
  });

  it(`answers every body with 200 or 400, and pins every selected pod (${HTTPS_RUNS} cases)`, async () => {
    const tally = { ran: 0, status200: 0, status400: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: reviewArb }, { weight: 1, arbitrary: fc.jsonValue() }),
        async (value) => {
          tally.ran++;
          // What reaches the server is JSON: compare against the body as the server parses it.
          const text = JSON.stringify(value) ?? 'null';
          const body = JSON.parse(text);
          const res = await webhook.post(text);
          expect([200, 400]).toContain(res.status);
          if (res.status === 400) {
            tally.status400++;
            return;
          }
          tally.status200++;
          checkOutcome(body, { httpStatus: 200, review: JSON.parse(res.body) });
        },
      ),
      { numRuns: HTTPS_RUNS },
    );
    console.log(`admission property over HTTPS: ${JSON.stringify(tally)}`);
    expect(logger.lines().filter((l) => l.msg === 'webhook handler failed')).toEqual([]);
  }, 120_000);
});

describe('duration properties', () => {
  const goDuration = fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.nat({ max: 1000 }) },
          { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 25n }) },
        ),
        fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }),
        fc.constantFrom('ms', 's', 'm', 'h'),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((parts) => parts.map(([n, f, u]) => `${n}${f !== undefined ? `.${f}` : ''}${u}`).join(''));

  // The bounded schemas are the ones every duration field of the API uses.
  const schemas = ['720h', '8760h'].map((max) => durationAtMost(max));

  it('parses every string a duration field accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(goDuration, fc.constantFrom(...schemas), (text, schema) => {
        if (!schema.safeParse(text).success) return;
        accepted++;
        expect(() => parseDuration(text)).not.toThrow();
      }),
      { numRuns: 3_000 },
    );
    console.log(`duration property: ${accepted} accepted durations parsed`);
  });

  it('admits pods under every policy the schema accepts, with a finite toleration', () => {
    let accepted = 0;
    fc.assert(
      fc.property(goDuration, goDuration, fc.integer({ min: -5, max: 20_000 }), (toleration, lead, rate) => {
        const parsed = SovereigntyPolicyDef.object.safeParse({
          apiVersion: 'sovereign-placement.io/v1alpha1',
          kind: 'SovereigntyPolicy',
          metadata: { name: 'p', namespace: NS },
          spec: {
            selector: {},
            requirement: { badges: ['Sovereign'], area: 'eu' },
            failover: {
              nodeFailureToleration: toleration,
              expiryLeadTime: lead,
              maxEvictionsPerMinute: rate,
            },
          },
        });
        if (!parsed.success) return;
        accepted++;
        const patch = podMutation({ metadata: {}, spec: {} }, [parsed.data as never]);
        const tolerations = patch.find((o) => o.path === '/spec/tolerations')?.value as {
          tolerationSeconds: number;
        }[];
        for (const t of tolerations) expect(Number.isSafeInteger(t.tolerationSeconds)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
    console.log(`policy duration property: ${accepted} accepted policies admitted`);
  });
});
