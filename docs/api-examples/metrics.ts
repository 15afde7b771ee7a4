import { createServer } from 'node:http';
import client from 'prom-client';
import { connectRouter, registerCtpMetrics } from 'ctp-router';

const router = await connectRouter({ id: 'station', nodes: ['pump'], tcp: { listen: { port: 0 } } });
// The router's metrics and its transport's, in prom-client's default registry, read at each scrape.
registerCtpMetrics(client, () => ({ ...router.metrics(), ...router.transport.metrics() }));
const server = createServer((req, res) => {
  void client.register.metrics().then((text) => {
    res.setHeader('content-type', client.register.contentType);
    res.end(text);
  });
});
server.listen(9464, '127.0.0.1'); // scrape http://127.0.0.1:9464/metrics
