/** The in-process connection: data both ways with backpressure, ends passed on, a destroyed side ending the other. */
import { connectedPair } from '../../../sandbox/net/pair.js';
import { readAll } from './clients.js';


test('what one side writes the other reads, both ways; an end is the other side\'s end, and both close', async () => {
  const [client, server] = connectedPair();
  const closed = Promise.all([client, server].map((s) => new Promise((resolve) => s.once('close', resolve))));
  const atServer = readAll(server);
  const atClient = readAll(client);
  client.end('hello');
  expect(await atServer).toBe('hello');
  server.end('world'); // half-open: the server still writes after the client's end
  expect(await atClient).toBe('world');
  await closed;
});

test('a large write waits for the reader (backpressure) and arrives whole', async () => {
  const [client, server] = connectedPair();
  const big = 'x'.repeat(1024 * 1024);
  let finished = false;
  client.end(big, () => (finished = true));
  await new Promise((resolve) => setImmediate(resolve));
  expect(finished).toBe(false);
  expect(await readAll(server)).toHaveLength(big.length);
});

test('destroying one side ends the other\'s reading, after what was already written; later writes are discarded', async () => {
  const [client, server] = connectedPair();
  const atClient = readAll(client);
  server.write('bye');
  server.destroy();
  expect(await atClient).toBe('bye');
  await new Promise<void>((resolve, reject) => client.write('ignored', (err) => (err ? reject(err) : resolve())));
  const closed = new Promise((resolve) => client.once('close', resolve));
  client.end();
  await closed;
});
