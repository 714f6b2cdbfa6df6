/**
 * The HTTP plumbing the sandbox's AWS Query APIs (ELB, EC2) share: a request body read up to a size,
 * and an XML answer with the request id AWS puts in `x-amzn-RequestId`.
 */
import type http from 'node:http';

/** Largest request body the Query APIs read (1 MiB). */
const MAX_QUERY_BODY_BYTES = 1024 * 1024;

/** The body as text; rejects with `tooLarge()` (and drops the request) once it passes MAX_QUERY_BODY_BYTES. */
export function readQueryBody(req: http.IncomingMessage, tooLarge: (maxBytes: number) => Error): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_QUERY_BODY_BYTES) {
        reject(tooLarge(MAX_QUERY_BODY_BYTES));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** An XML answer (unless the response is already under way or gone). */
export function sendQueryXml(res: http.ServerResponse, status: number, requestId: string, xml: string, contentType: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(xml),
    'x-amzn-requestid': requestId,
  });
  res.end(xml);
}
