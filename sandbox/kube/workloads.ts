/**
 * Pods and Deployments: defaulting and the validation rules the sandbox enforces (a useful subset
 * of the apiserver's, with its wording), and the pod-template-hash a Deployment's pods carry.
 */
import { createHash } from 'node:crypto';
import { fieldErrors, GoValue, type FieldError } from './errors.js';
import type { Container, Deployment, Pod, PodSpec } from './types.js';
import { deepEqual } from './patch.js';
import { matchesMap } from './selectors.js';
import {
  PORT_RANGE_MESSAGE,
  dns1123LabelErrors,
  isPlainObject,
  isValidPortNum,
  labelsErrors,
  portNameErrors,
} from './validation.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

function imagePullPolicy(image: string | undefined): string {
  const ref = (image ?? '').split('@')[0] ?? '';
  const lastSlash = ref.lastIndexOf('/');
  const tag = ref.slice(lastSlash + 1).split(':')[1];
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Container): void {
  c.imagePullPolicy ??= imagePullPolicy(c.image);
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
}

/** SetDefaults_PodSpec and friends. */
function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of (spec.initContainers as Container[] | undefined) ?? []) defaultContainer(c);
}

export function defaultPod(pod: Pod): void {
  pod.spec ??= { containers: [] };
  defaultPodSpec(pod.spec);
  pod.spec.serviceAccountName ??= 'default';
  pod.spec.serviceAccount ??= pod.spec.serviceAccountName;
  pod.spec.priority ??= 0;
  pod.spec.preemptionPolicy ??= 'PreemptLowerPriority';
  // Added by the DefaultTolerationSeconds admission plugin.
  pod.spec.tolerations ??= [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
  pod.status = { phase: 'Pending', qosClass: 'BestEffort' };
}

function validatePodSpec(spec: PodSpec | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const containers = spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errs.push(fieldErrors.required(`${path}.containers`));
    return errs;
  }
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const cp = `${path}.containers[${i}]`;
    if (!isPlainObject(c)) {
      errs.push(fieldErrors.invalid(cp, '', 'must be an object'));
      return;
    }
    if (!c.name) errs.push(fieldErrors.required(`${cp}.name`));
    else {
      for (const msg of dns1123LabelErrors(c.name)) errs.push(fieldErrors.invalid(`${cp}.name`, c.name, msg));
      if (names.has(c.name)) errs.push(fieldErrors.duplicate(`${cp}.name`, c.name));
      names.add(c.name);
    }
    if (!c.image || !String(c.image).trim()) errs.push(fieldErrors.required(`${cp}.image`));
    const portNames = new Set<string>();
    (c.ports ?? []).forEach((p, j) => {
      const pp = `${cp}.ports[${j}]`;
      if (p.containerPort === undefined || p.containerPort === 0) errs.push(fieldErrors.required(`${pp}.containerPort`));
      else if (!isValidPortNum(p.containerPort)) errs.push(fieldErrors.invalid(`${pp}.containerPort`, p.containerPort, PORT_RANGE_MESSAGE));
      if (p.name) {
        for (const msg of portNameErrors(p.name)) errs.push(fieldErrors.invalid(`${pp}.name`, p.name, msg));
        if (portNames.has(p.name)) errs.push(fieldErrors.duplicate(`${pp}.name`, p.name));
        portNames.add(p.name);
      }
      if (p.protocol && !PROTOCOLS.includes(p.protocol)) errs.push(fieldErrors.notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS));
    });
  });
  const restart = spec?.restartPolicy;
  if (restart !== undefined && !['Always', 'OnFailure', 'Never'].includes(restart)) {
    errs.push(fieldErrors.notSupported(`${path}.restartPolicy`, restart, ['Always', 'OnFailure', 'Never']));
  }
  return errs;
}

export function validatePod(pod: Pod): FieldError[] {
  return validatePodSpec(pod.spec, 'spec');
}

const POD_UPDATE_MESSAGE =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = validatePod(pod);
  const comparable = (spec: PodSpec) => {
    const copy = JSON.parse(JSON.stringify(spec)) as Record<string, unknown> & PodSpec;
    for (const c of copy.containers ?? []) delete c.image;
    for (const c of (copy.initContainers as Container[] | undefined) ?? []) delete c.image;
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    delete copy.terminationGracePeriodSeconds;
    // The scheduler binds through pods/binding; a client may not move a bound pod.
    if (!old.spec.nodeName) delete copy.nodeName;
    return copy;
  };
  if (!deepEqual(comparable(pod.spec), comparable(old.spec))) errs.push(fieldErrors.forbidden('spec', POD_UPDATE_MESSAGE));
  return errs;
}

/* ------------------------------------------------------------------------------- deployments */

export function defaultDeployment(d: Deployment): void {
  d.spec ??= { selector: {}, template: { spec: { containers: [] } } };
  d.spec.replicas ??= 1;
  d.spec.revisionHistoryLimit ??= 10;
  d.spec.progressDeadlineSeconds ??= 600;
  d.spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
  if (d.spec.template?.spec) defaultPodSpec(d.spec.template.spec);
}

export function validateDeployment(d: Deployment): FieldError[] {
  const errs: FieldError[] = [];
  const spec = d.spec;
  const replicas = spec?.replicas;
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 0)) {
    errs.push(fieldErrors.invalid('spec.replicas', replicas, 'must be greater than or equal to 0'));
  }
  const matchLabels = spec?.selector?.matchLabels ?? {};
  if (!spec?.selector || (Object.keys(matchLabels).length === 0 && (spec.selector.matchExpressions?.length ?? 0) === 0)) {
    errs.push(fieldErrors.required('spec.selector'));
  } else {
    errs.push(...labelsErrors(matchLabels, 'spec.selector.matchLabels'));
    const labels = spec.template?.metadata?.labels ?? {};
    if (!matchesMap(matchLabels, labels)) {
      const shown = Object.entries(labels).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ');
      errs.push(fieldErrors.invalid('spec.template.metadata.labels', new GoValue(`map[string]string{${shown}}`), '`selector` does not match template `labels`'));
    }
  }
  errs.push(...validatePodSpec(spec?.template?.spec, 'spec.template.spec'));
  return errs;
}

export function validateDeploymentUpdate(d: Deployment, old: Deployment): FieldError[] {
  const errs = validateDeployment(d);
  if (!deepEqual(d.spec?.selector, old.spec?.selector)) {
    errs.push(fieldErrors.invalid('spec.selector', new GoValue(JSON.stringify(d.spec?.selector ?? {})), 'field is immutable'));
  }
  return errs;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** A pod-template-hash like the Deployment controller's: 10 "safe" characters of a template hash. */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(template ?? {})).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += SAFE[digest[i]! % SAFE.length];
  return out;
}
