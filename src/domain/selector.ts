/** Kubernetes label selectors (metav1.LabelSelector), matched the way the API server matches them. */

export type Labels = Readonly<Record<string, string>>;

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[] | undefined;
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>> | undefined;
  readonly matchExpressions?: readonly LabelSelectorRequirement[] | undefined;
}

function holds(requirement: LabelSelectorRequirement, labels: Labels): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  switch (requirement.operator) {
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    case 'In':
      return present && (requirement.values ?? []).includes(labels[requirement.key] as string);
    case 'NotIn':
      // As in Kubernetes: a missing key is "not in" any set.
      return !present || !(requirement.values ?? []).includes(labels[requirement.key] as string);
  }
}

/**
 * Whether labels match a selector: every matchLabels entry equal and every expression true. As in
 * Kubernetes, an empty selector matches everything; callers that mean "nothing" pass no selector at all.
 */
export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
  for (const key in selector.matchLabels) {
    if (!Object.hasOwn(labels, key) || labels[key] !== selector.matchLabels[key]) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    if (!holds(requirement, labels)) return false;
  }
  return true;
}
