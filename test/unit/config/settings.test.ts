/** The settings table (src/config/settings.ts): what derives from it, and the README's configuration table it must match. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../src/config/index.js';
import { SETTINGS, hasDefaultValue } from '../../../src/config/settings.js';
import type { SettingInfo } from '../../../src/config/settings.js';
import { noFiles } from './helpers.js';

const rows: readonly SettingInfo[] = SETTINGS;

describe('README', () => {
  const readme = readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');

  it('documents every setting (env var and YAML key)', () => {
    for (const s of SETTINGS) {
      if (s.env) expect(readme).toContain(`\`${s.env}\``);
      expect(readme).toContain(`\`${s.yaml}\``);
    }
    expect(readme).toContain('`SVCBOT_CONFIG`');
  });

  it("shows each setting's default value in its row", () => {
    // | `VAR` | `yaml.key` | default | meaning |
    const defaults = new Map(
      readme
        .split('\n')
        .filter((line) => line.startsWith('| '))
        .map((line) => line.split(' | ').map((cell) => cell.trim()))
        .map((cells) => [cells[1], cells[2]] as const),
    );
    const withValue = rows.filter(hasDefaultValue);
    expect(withValue.length).toBeGreaterThan(10);
    for (const s of withValue) expect([s.yaml, defaults.get(`\`${s.yaml}\``)]).toEqual([s.yaml, `\`${s.default}\``]);
  });
});

describe('the settings table', () => {
  it("states each default as a value its setting accepts, and the one svcbot uses when it is unset", () => {
    const unset = loadConfig({}, noFiles);
    for (const s of rows.filter(hasDefaultValue)) {
      if (s.env === undefined) continue;
      expect([s.env, loadConfig({ [s.env]: s.default }, noFiles)]).toEqual([s.env, unset]);
    }
  });

  it('marks the Slack credentials, the Redis URL (it may hold a password) and the Redis passwords secret', () => {
    expect(rows.filter((s) => s.secret).map((s) => s.yaml)).toEqual(['slack.botToken', 'slack.signingSecret', 'slack.appToken', 'redisUrl', 'redisPassword', 'redisSentinelPassword']);
  });

  it('names each environment variable and YAML key once', () => {
    const envs = rows.flatMap((s) => (s.env === undefined ? [] : [s.env]));
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(rows.map((s) => s.yaml)).size).toBe(rows.length);
  });
});
