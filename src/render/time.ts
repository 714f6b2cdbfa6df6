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
