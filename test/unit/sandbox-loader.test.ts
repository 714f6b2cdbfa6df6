import { SANDBOX_NOT_INSTALLED, loadSandboxModule } from '../../src/sandbox-loader.js';

describe('loadSandboxModule', () => {
  it('loads the sandbox where it is installed', async () => {
    await expect(loadSandboxModule(() => Promise.resolve({ ok: 1 }))).resolves.toEqual({ ok: 1 });
  });

  it('says in words that the sandbox is absent (as in the container image), keeping the cause', async () => {
    // What Node.js throws for an import of a file or package that is not there.
    const missing = () => Promise.reject(Object.assign(new Error("Cannot find module '/app/dist/sandbox/main.js'"), { code: 'ERR_MODULE_NOT_FOUND' }));
    const err = (await loadSandboxModule(missing).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe(SANDBOX_NOT_INSTALLED);
    expect((err.cause as { code?: string }).code).toBe('ERR_MODULE_NOT_FOUND');
  });

  it('passes any other failure through', async () => {
    await expect(loadSandboxModule(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
