/** The settings table (src/config/settings.ts) and the README's configuration table it must match. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SETTINGS } from '../../../src/config/settings.js';

describe('README', () => {
  it('documents every setting (env var and YAML key)', () => {
    const readme = readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
    for (const s of SETTINGS) {
      if (s.env) expect(readme).toContain(`\`${s.env}\``);
      expect(readme).toContain(`\`${s.yaml}\``);
    }
    expect(readme).toContain('`SVCBOT_CONFIG`');
  });
});
