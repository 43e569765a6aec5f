// `helm test`: the admission webhook answers. Run by node in the operator's own image (no shell, no
// curl there): it sends an AdmissionReview for a Pod, as the API server would, over TLS verified with
// the webhook's CA, and expects an answer for that review that admits the Pod (the release namespace is
// never enrolled). Exit 0: the webhook serves; 1: it does not, with the reason.
const { readFileSync } = require('node:fs');
const { request } = require('node:https');

const url = new URL(process.env.WEBHOOK_URL);
const namespace = process.env.NAMESPACE || 'default';
const uid = `helm-test-${Date.now()}`;
const review = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE',
    namespace,
    userInfo: { username: 'helm-test' },
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'helm-test', namespace },
      spec: { containers: [{ name: 'test', image: 'test' }] },
    },
  },
};
const fail = (message) => {
  console.error(`webhook ${url.href}: ${message}`);
  process.exit(1);
};
const req = request(
  url,
  {
    method: 'POST',
    ca: readFileSync(process.env.CA_FILE),
    headers: { 'content-type': 'application/json' },
    timeout: 10_000,
  },
  (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      body += chunk;
    });
    res.on('end', () => {
      if (res.statusCode !== 200) fail(`HTTP ${res.statusCode}: ${body.slice(0, 500)}`);
      let response;
      try {
        response = JSON.parse(body).response;
      } catch {
        fail(`not JSON: ${body.slice(0, 500)}`);
      }
      if (response?.uid !== uid) fail(`answered for uid ${response?.uid}, not ${uid}`);
      if (response.allowed !== true)
        fail(`refused a Pod of namespace ${namespace}: ${response.status?.message ?? 'no reason'}`);
      console.log(`webhook ${url.href} answers over TLS and admits a Pod of namespace ${namespace}`);
    });
  },
);
req.on('timeout', () => req.destroy(new Error('no answer within 10s')));
req.on('error', (error) => fail(error.message));
req.end(JSON.stringify(review));
