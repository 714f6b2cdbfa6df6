/**
 * SPDY/3.1 framing (sandbox/kube/streams/spdy.ts): the spec's header dictionary, name/value blocks,
 * one zlib stream per direction across blocks, and frames split anywhere by the transport.
 */
import {
  FrameReader,
  FrameType,
  SPDY_DICTIONARY,
  controlFrame,
  dataFrame,
  decodeHeaderBlock,
  encodeHeaderBlock,
  newHeaderCompressor,
  newHeaderDecompressor,
} from '../../../sandbox/kube/streams/spdy.js';

describe('SPDY/3.1 framing', () => {
  it('builds the spec dictionary: 1,423 bytes, length-prefixed words then the tail', () => {
    expect(SPDY_DICTIONARY.length).toBe(1423);
    expect(SPDY_DICTIONARY.subarray(0, 11)).toEqual(Buffer.from([0, 0, 0, 7, ...Buffer.from('options')]));
    expect(SPDY_DICTIONARY.subarray(-9).toString('latin1')).toBe(',*,enq=0.');
  });

  it('round-trips header blocks through one compressor and one decompressor, block after block', async () => {
    const deflate = newHeaderCompressor();
    const inflate = newHeaderDecompressor();
    for (let id = 0; id < 3; id++) {
      const headers = { streamtype: 'data', port: '8080', requestid: String(id) };
      const block = await deflate.run(encodeHeaderBlock(headers));
      expect(decodeHeaderBlock(await inflate.run(block))).toEqual(headers);
    }
    deflate.close();
    inflate.close();
  });

  it('reads frames split at any byte', () => {
    const frames = Buffer.concat([controlFrame(FrameType.PING, 0, Buffer.from([0, 0, 0, 1])), dataFrame(3, 1, Buffer.from('hello'))]);
    const reader = new FrameReader();
    const got = [...frames].flatMap((b) => reader.push(Buffer.from([b])));
    expect(got.map((f) => [f.control, f.type, f.streamId, f.flags, f.body.toString('hex')])).toEqual([
      [true, FrameType.PING, 0, 0, '00000001'],
      [false, 0, 3, 1, Buffer.from('hello').toString('hex')],
    ]);
  });
});
