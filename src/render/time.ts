/**
 * Ages the way `kubectl get` prints them (apimachinery's `duration.HumanDuration`): `45s`, `5m30s`, `25m`,
 * `3h15m`, `20h`, `3d4h`, `30d`, `2y40d`, `9y`.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

function withRemainder(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${minor}${minorUnit}`;
}

export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>'; // clocks more than a second apart
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) return withRemainder(minutes, 'm', seconds % 60, 's');
  if (minutes < 3 * 60) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) return withRemainder(hours, 'h', minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(ms / DAY);
  if (hours < 8 * 24) return withRemainder(days, 'd', hours % 24, 'h');
  if (hours < 2 * 365 * 24) return `${days}d`;
  const years = Math.trunc(ms / YEAR);
  if (hours < 8 * 365 * 24) return withRemainder(years, 'y', days % 365, 'd');
  return `${years}y`;
}

/** The age of something created at `since`, seen at `now`, kubectl style. */
export function formatAge(since: Date, now: Date): string {
  return humanDuration(now.getTime() - since.getTime());
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * A moment as people read it in a message: `10:32 UTC`, with the date first (`2025-05-30 10:32 UTC`)
 * when it is not on the same UTC day as `now` (or when there is no `now`).
 */
export function utcTime(at: Date | number, now?: Date): string {
  const clock = utcClock(at, now);
  return Number.isNaN(new Date(at).getTime()) ? clock : `${clock} UTC`;
}

/** `utcTime` without the ` UTC` (for lists that say once that their times are UTC). */
export function utcClock(at: Date | number, now?: Date): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '(unknown time)';
  const clock = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  const day = d.toISOString().slice(0, 10);
  return now !== undefined && !Number.isNaN(now.getTime()) && now.toISOString().slice(0, 10) === day ? clock : `${day} ${clock}`;
}

/** A duration in words, for sentences: `less than a minute`, `1 min`, `45 min`, `3 h 20 min`, `2 days`. */
export function durationWords(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / MINUTE);
  if (minutes < 1) return 'less than a minute';
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return `${days} days`;
}
