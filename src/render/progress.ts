/**
 * The progress message of a load-balancer job (one message, updated in place) and the endpoint reply
 * posted in its thread: pure functions of a ProgressView / endpoint list.
 */
import type { LbEndpoint, ProgressView, StepView } from '../domain/progress.js';
import type { LbStep } from '../domain/lb-jobs.js';
import type { Message } from './blocks.js';
import { code, escapeMrkdwn, mention } from './mrkdwn.js';
import { humanDuration } from './time.js';

const LABELS: Record<LbStep, string> = {
  service: 'Service created',
  allocated: 'load balancer allocated',
  'in-service': 'instances in service',
  dns: 'DNS resolves',
  answers: 'endpoint answers',
  ready: 'ready',
  'elb-deleted': 'load balancer deleted',
  'finalizer-cleared': 'finalizer cleared',
  done: 'done',
};

const TEARDOWN_SERVICE_LABEL = { delete: 'Service deleted', retype: 'type changed' } as const;

function stepLabel(step: LbStep, operation: ProgressView['operation']): string {
  if (step === 'service' && operation !== 'provision') return TEARDOWN_SERVICE_LABEL[operation];
  return LABELS[step];
}

const ICONS: Record<StepView['status'], string> = { done: ':white_check_mark:', running: ':hourglass_flowing_sand:', pending: ':white_circle:', stuck: ':x:' };

function stepLine(s: StepView, operation: ProgressView['operation']): string {
  const time = s.elapsedMs === undefined ? '' : ` (${humanDuration(s.elapsedMs)})`;
  return `${ICONS[s.status]} ${stepLabel(s.step, operation)}${time}`;
}

function title(v: ProgressView): string {
  const svc = `${code(`${v.namespace}/${v.name}`)} on ${code(v.cluster)}`;
  if (v.operation === 'provision') return `Load balancer for ${svc}`;
  if (v.operation === 'delete') return `Deleting ${svc} and its load balancer`;
  return `Changing ${svc} to ${code(v.targetType ?? '?')}: removing its load balancer`;
}

/** " — asked by @user" (nothing without a user, e.g. from the console). */
function askedBy(v: Pick<ProgressView, 'userId'>): string {
  const who = mention(v.userId);
  return who ? ` — asked by ${who}` : '';
}

function outcomeLines(v: ProgressView): string[] {
  const o = v.outcome;
  const svc = `${v.namespace}/${v.name}`;
  const scope = `--namespace ${v.namespace} --cluster ${v.cluster}`;
  if (!o) return v.waitingFor ? [`_${escapeMrkdwn(v.waitingFor)}_`] : [];
  switch (o.kind) {
    case 'ready':
      return [`:large_green_circle: Ready: ${o.endpoints.map((e) => code(`${e.host}:${e.port}`)).join(', ')}`];
    case 'deleted':
      return [':large_green_circle: load balancer deleted — no further charges'];
    case 'orphan':
      return [
        `:warning: The load balancer ${code(o.loadBalancer)} is still there after the timeout: it may be an orphan, still billed. ` +
          'Check it in the AWS console and delete it there if nothing uses it.',
      ];
    case 'cancelled':
      return [':no_entry_sign: Cancelled — the cluster was left as it is.'];
    case 'superseded': {
      const who = mention(o.by.userId);
      const job = o.by.jobId ? ` (job ${code(o.by.jobId)})` : '';
      return [`:arrow_right_hook: Superseded by ${code(o.by.change)}${job}${who ? `, asked by ${who}` : ''}: this job stopped and changes nothing more.`];
    }
    case 'service-gone':
      return [`:white_circle: The Service ${code(svc)} was deleted meanwhile: nothing left to do.`];
    case 'failed': {
      const lines = [`:x: Stuck at *${stepLabel(o.stuckAt, v.operation)}*: ${escapeMrkdwn(o.reason)}`];
      if (o.event) lines.push(`> ${escapeMrkdwn(`${o.event.reason}: ${o.event.message}`)}`);
      if (v.operation === 'provision') {
        lines.push(
          `The Service ${code(svc)} was left as it is. Retry with ${code(`/svc type ${v.name} lb ${scope}`)}, ` +
            `or remove it with ${code(`/svc delete ${v.name} ${scope}`)}.`,
        );
      } else {
        lines.push(`Retry with ${code(v.operation === 'delete' ? `/svc delete ${v.name} ${scope}` : `/svc type ${v.name} ${v.targetType ?? ''} ${scope}`)}.`);
      }
      return lines;
    }
  }
}

/** The progress message: a title, one line per step with elapsed time, then the outcome or what it waits for. */
export function renderProgress(v: ProgressView): Message {
  const lines = [...v.steps.map((s) => stepLine(s, v.operation)), ...outcomeLines(v)];
  const head = title(v);
  return {
    text: `${head}${askedBy(v)}\n${lines.join('\n')}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${head}*${askedBy(v)}` } },
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
    ],
  };
}

/**
 * The thread reply that tells the requester how a job ended when there is no endpoint to announce: the
 * load balancer is gone (charges stop), may be an orphan, or the job is stuck. (An edit of the progress
 * message notifies nobody; this does.) Undefined for outcomes the requester already hears of otherwise.
 */
export function renderOutcomeMessage(v: ProgressView): Message | undefined {
  const o = v.outcome;
  // Ready has its endpoint reply; cancelled, superseded and gone are said in the message itself, quietly.
  if (!o || o.kind === 'ready' || o.kind === 'cancelled' || o.kind === 'superseded' || o.kind === 'service-gone') return undefined;
  const who = mention(v.userId);
  const head = `${who ? `${who} ` : ''}${code(`${v.namespace}/${v.name}`)} on ${code(v.cluster)}`;
  switch (o.kind) {
    case 'deleted':
      return { text: `${head}: load balancer deleted — no further charges.`, blocks: [] };
    case 'orphan':
      return { text: `${head}: :warning: the load balancer ${code(o.loadBalancer)} is still there — it may be an orphan, still billed (details above).`, blocks: [] };
    case 'failed':
      return { text: `${head}: :x: stuck at *${stepLabel(o.stuckAt, v.operation)}* — ${escapeMrkdwn(o.reason)} (details above).`, blocks: [] };
  }
}

/** The thread reply with the endpoint(s), mentioning the requester. */
export function renderEndpointMessage(v: Pick<ProgressView, 'namespace' | 'name' | 'userId'>, endpoints: readonly LbEndpoint[]): Message {
  const who = mention(v.userId);
  const list = endpoints.map((e) => (e.url ? `${code(`${e.host}:${e.port}`)} — ${e.url}` : code(`${e.host}:${e.port}`)));
  return { text: `${who ? `${who} ` : ''}${code(`${v.namespace}/${v.name}`)} is reachable at:\n${list.map((l) => `• ${l}`).join('\n')}`, blocks: [] };
}
