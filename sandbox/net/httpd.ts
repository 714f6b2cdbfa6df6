/**
 * What a container of the `httpd` image (Apache HTTP Server) answers with its stock configuration: the
 * default page `<html><body><h1>It works!</h1></body></html>` for `/` and `/index.html` with Apache's
 * headers (Server, Last-Modified, ETag, Accept-Ranges, Content-Type), and Apache's 404 page otherwise.
 * One `http.Server` serves every simulated httpd container: the data plane hands it each in-process
 * connection (`server.emit('connection', stream)`); it never listens on a socket itself.
 */
import http from 'node:http';

const SERVER = 'Apache/2.4.62 (Unix)';
/** The httpd image's htdocs/index.html, byte for byte, and its file time. */
const HTTPD_INDEX = '<html><body><h1>It works!</h1></body></html>\n';
const INDEX_MODIFIED = 'Mon, 11 Jun 2007 18:53:14 GMT';
const INDEX_ETAG = '"2d-432a5e4a73a80"';

function notFoundPage(path: string): string {
  return (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>404 Not Found</title>\n' +
    `</head><body>\n<h1>Not Found</h1>\n<p>The requested URL ${escapeHtml(path)} was not found on this server.</p>\n</body></html>\n`
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

export function createHttpdServer(): http.Server {
  const server = http.createServer((req, res) => {
    res.setHeader('Server', SERVER);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'OPTIONS' && req.method !== 'POST') {
      res.writeHead(405, { Allow: 'GET,POST,OPTIONS,HEAD', 'Content-Type': 'text/html; charset=iso-8859-1' });
      res.end();
      return;
    }
    if (path === '/' || path === '/index.html') {
      if (req.headers['if-none-match'] === INDEX_ETAG) {
        res.writeHead(304, { 'Last-Modified': INDEX_MODIFIED, ETag: INDEX_ETAG });
        res.end();
        return;
      }
      res.writeHead(200, {
        'Last-Modified': INDEX_MODIFIED,
        ETag: INDEX_ETAG,
        'Accept-Ranges': 'bytes',
        'Content-Length': Buffer.byteLength(HTTPD_INDEX),
        'Content-Type': 'text/html',
      });
      res.end(req.method === 'HEAD' ? undefined : HTTPD_INDEX);
      return;
    }
    const body = notFoundPage(path);
    res.writeHead(404, { 'Content-Length': Buffer.byteLength(body), 'Content-Type': 'text/html; charset=iso-8859-1' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // Apache's KeepAliveTimeout is 5 s, as is Node's default; the data plane destroys every stream on close.
  server.keepAliveTimeout = 5000;
  return server;
}

/**
 * BusyBox's `httpd` serving a directory holding one `index.html` (`page`, per connection; undefined: no
 * index, 404 for everything), with BusyBox's headers and error page; it closes each connection after
 * its answer, as BusyBox does.
 */
export function createBusyboxHttpdServer(pageOf: (connection: unknown) => string | undefined): http.Server {
  return http.createServer((req, res) => {
    const page = pageOf(req.socket);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    res.shouldKeepAlive = false;
    if (page !== undefined && (path === '/' || path === '/index.html') && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'Content-type': 'text/html', 'Accept-Ranges': 'bytes', 'Content-Length': Buffer.byteLength(page) });
      res.end(req.method === 'HEAD' ? undefined : page);
      return;
    }
    const body = '<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n';
    res.writeHead(404, { 'Content-type': 'text/html', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
}
