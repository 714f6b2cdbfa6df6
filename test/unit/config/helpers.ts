/**
 * What the config tests share: a fake filesystem for SVCBOT_CONFIG, the problems loadConfig reports,
 * and a dotted-path getter for Config values.
 */
import { ConfigError, loadConfig } from '../../../src/config/index.js';
import type { Config } from '../../../src/config/index.js';

/** A fake filesystem for SVCBOT_CONFIG. */
export function files(contents: Record<string, string>) {
  return (file: string): string => {
    const text = contents[file];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), { code: 'ENOENT' });
    return text;
  };
}

export const noFiles = files({});

/** The problems loadConfig reports (fails the test if it does not throw a ConfigError). */
export function problemsOf(env: NodeJS.ProcessEnv, readFile = noFiles): string[] {
  try {
    loadConfig(env, readFile);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

export function get(config: Config, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((obj, k) => (obj as Record<string, unknown>)[k], config);
}
