import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  loadYaml,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { parseManifests } from '../../src/api/manifests.ts';
import { waitFor } from './net.ts';

const root = join(import.meta.dirname, '../..');

const alreadyExists = (error: unknown) => (error as { code?: number }).code === 409;

/**
 * Creates every CRD of crds/ and waits until each is Established. Returns their names. With `reuse`, a
 * CRD that already exists is left as it is (a cluster where the chart is installed).
 */
export async function installCrds(kc: KubeConfig, { reuse = false } = {}): Promise<string[]> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const dir = join(root, 'crds');
  const names: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    // The typed client serialises its own model (`_default`, `xKubernetesValidations`, ...): plain
    // JSON would lose defaults, enums and CEL rules on the way, so the YAML is loaded into the model.
    const body = loadYaml<V1CustomResourceDefinition>(readFileSync(join(dir, file), 'utf8'));
    await api.createCustomResourceDefinition({ body }).catch((error) => {
      if (!(reuse && alreadyExists(error))) throw error;
    });
    names.push(body.metadata?.name ?? file);
  }
  for (const name of names) {
    await waitFor(`CRD ${name} Established`, async () => {
      const crd = await api.readCustomResourceDefinition({ name });
      return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
    });
  }
  return names;
}

/** The objects of every sample manifest in deploy/samples (the kustomization excluded). */
export function sampleObjects(): KubernetesObject[] {
  const dir = join(root, 'deploy/samples');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()
    .flatMap((f) =>
      parseManifests(readFileSync(join(dir, f), 'utf8'), f).map((d) => d.object as KubernetesObject),
    );
}

export async function createObjects(
  kc: KubeConfig,
  objects: KubernetesObject[],
  { reuse = false } = {},
): Promise<KubernetesObject[]> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  const created: KubernetesObject[] = [];
  for (const object of objects) {
    try {
      created.push(await client.create(object));
    } catch (error) {
      if (!(reuse && alreadyExists(error))) throw error;
    }
  }
  return created;
}
