/**
 * The sandbox is a development tool: a source checkout has it, the container image does not (neither
 * its compiled code nor the libraries only it uses). The commands that load it lazily say so in words
 * when it is absent, instead of failing on a missing module.
 */
export const SANDBOX_NOT_INSTALLED =
  'the sandbox is not part of this installation (the container image leaves it out): run it from a source checkout (npm ci && npm run build), or use the console with --no-sandbox against your clusters';

/** `load()`, with a missing sandbox module (or a library only the sandbox uses) told in words. */
export async function loadSandboxModule<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') throw new Error(SANDBOX_NOT_INSTALLED, { cause: err });
    throw err;
  }
}
