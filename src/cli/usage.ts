/**
 * Help texts of the CLI (`--help` everywhere).
 */
import { METRICS_USAGE } from './metrics-args.js';

const COMMON = `Common options:
  --json                 print JSON lines instead of text
  --id ID                this process's router id (default: the --tls-cert CN, else a random one)
  --tls-cert FILE        with --tls-key and --tls-ca: links are mutual TLS (every peer must
  --tls-key FILE         present a certificate signed by the CA; its CN is its router id)
  --tls-ca FILE          and this router signs its adverts with that key; --id must equal the CN
  --timeout-ms MS        request timeout (default 10000)
  --wait-ms MS           how long to wait for the connection and for nodes to appear (default 5000)
  --heartbeat-ms MS      heartbeat on idle TCP links, and the NATS bus presence interval; a link or
                         member silent for 3x this is down (default 5000 on TCP, 1000 on the bus;
                         0: no TCP heartbeats and no dead-link detection)
  --nats URL             join the NATS bus on this server (repeatable: more seeds of a cluster);
                         alone or beside --listen/--connect (the router forwards between them)
  --nats-prefix PREFIX   the bus's subject prefix: routers on the same prefix meet (default ctp)
  --nats-creds FILE      a NATS .creds file (JWT and nkey seed) to authenticate to the server
  --nats-user USER       a NATS user, with --nats-pass PASS (or nats://USER:PASS@HOST:PORT)
  --nats-tls-cert FILE   with --nats-tls-key: a client certificate for the NATS server;
  --nats-tls-key FILE    --nats-tls-ca FILE: the CA that signed the server's certificate
  --nats-tls-ca FILE     (a tls:// URL or any --nats-tls-* flag makes the connection TLS)
  --policy FILE          JSON policy (docs/hosting.md, "Policy"): its "host" rules say which routers
                         may advertise which names (others' are ignored here); see peer for the rest
  -h, --help             show this help

Each failed dial is one line on stderr, with its cause: "dial HOST:PORT failed: ECONNREFUSED (...)",
or "refused by HOST:PORT: duplicate router id ID (...)"; repeats within 3 s are counted, not printed.`;

/** Help of each command, and of the program. */
export const USAGE: Record<string, string> = {
  main: `Usage: ctp-router <command> [options]

Commands:
  peer    run a router over TCP and/or NATS, print table changes and received requests
  nodes   print the reachable nodes with their hosts and controllers, then exit
  call    perform register|unregister|start|stop|command|post in one session
  watch   register as monitor of nodes and print their events until interrupted
  ui      serve a live page of routers, links, nodes and who controls what

Run \`ctp-router help <command>\` (or \`ctp-router <command> --help\`) for a command's options,
\`ctp-router --version\` for the version.
Exit codes: 0 success, 1 failure (a result other than SUCCESS, no connection), 2 usage error.`,

  peer: `Usage: ctp-router peer [--listen HOST:PORT] [--connect HOST:PORT ...] [--nats URL ...] [--node NAME ...] [--echo] [options]

Run a router over TCP and/or a NATS bus until interrupted (SIGINT/SIGTERM). Prints one line per
table change, link change (with why it went down), refused connection and received request or
event; each failed dial goes to stderr.

Options:
  --listen HOST:PORT     listen there (port 0: any free port; the first line says which)
  --connect [ID@]HOST:PORT  dial a peer (repeatable); redialled with backoff when it drops;
                         ID@: the router expected there (with TLS, its certificate's CN)
  --node NAME            host a node (repeatable)
  --echo                 the nodes' app answers every START/STOP/COMMAND with SUCCESS,
                         echoing what it got, and publishes the same as the node's event
                         (without --echo requests are answered ERROR: there is no app)
  --lease-grace-ms MS    router leaseGraceMs (default 5000)
  --max-frame-bytes N    longest frame (default 8388608)
  --max-advert-bytes-per-second N  advert bytes one peer may send a second before its
                         big frames wait (router maxAdvertBytesPerSecond, default 2097152; 0: none)
  --max-queued-bytes N   outbound queue per connection before it is closed as a slow consumer (default 33554432)
  --reconnect-max-ms MS  longest redial delay (default 5000)
  --policy FILE          also: which routers may control or monitor which of these nodes; a
                         refused request is answered REJECTED, reason policy. Use with the
                         --tls-* flags: the origin is then verified.
${METRICS_USAGE}
${COMMON}`,

  nodes: `Usage: ctp-router nodes (--connect HOST:PORT | --nats URL) [--dot] [options]

Print the reachable nodes with their host router, next hop, controller and
monitors (as advertised by their virtual nodes), then exit.

Options:
  --dot                  print the network as Graphviz DOT instead (routers with their
                         nodes, links, controllers and monitors, unreachable adverts
                         apart; the graph \`ctp-router ui\` draws), e.g. | dot -Tsvg

${COMMON}`,

  call: `Usage: ctp-router call (--connect HOST:PORT | --nats URL) <op> [args] [-- <op> [args] ...] [options]

Perform the operations in order, in one session (a registration lives only as
long as the process), print each result code and content, and exit 0 only if
all are SUCCESS. Registrations still held at the end are unregistered.

Operations:
  register NODE controller|monitor
  unregister NODE controller|monitor
  start NODE APP [OPTIONALS_JSON]
  stop NODE APP [OPTIONALS_JSON]
  command NODE APP [CONTENT_JSON]      (content defaults to null)
  post NODE CONTENT_JSON

Options:
  --hold                 after the operations, keep the session (and its registrations)
                         and print events until interrupted
${METRICS_USAGE} (with --hold)
${COMMON}

Example:
  ctp-router call --connect 127.0.0.1:7000 register cam1 controller -- command cam1 pan '{"deg":30}'`,

  watch: `Usage: ctp-router watch (--connect HOST:PORT | --nats URL) NODE [NODE ...] [options]

Register as monitor of each NODE and print its events until interrupted
(SIGINT/SIGTERM). A registration that is lost is made again when the node returns.

Options:
${METRICS_USAGE}
${COMMON}`,

  ui: `Usage: ctp-router ui [--connect HOST:PORT ...] [--listen HOST:PORT] [--http HOST:PORT] [options]

Join the network as an observer router and serve a live, read-only page on
--http: a graph of the routers and their links, each router's nodes, each
node's controller and monitors, unreachable adverts apart, a searchable node
table and a live feed of table, link and registration changes and drops.
Runs until interrupted (SIGINT/SIGTERM); prints the feed too.

Options:
  --http HOST:PORT       serve the page there (default 127.0.0.1:7070; port 0: any free port).
                         Loopback unless told otherwise; GET/HEAD only
  --http-allow-host NAME a Host name the page answers besides loopback names and the
                         --http address (repeatable); others get 403 (no DNS rebinding)
  --http-max-streams N   open /events streams at most (default 64; one more gets 503)
  --http-max-connections N  HTTP connections at most (default 256)
  --connect HOST:PORT    dial a router (repeatable); redialled with backoff when it drops
  --listen HOST:PORT     also accept routers there (or --nats URL: observe a NATS bus)
  --max-frame-bytes N    longest frame (default 8388608)
  --max-queued-bytes N   outbound queue per connection (default 33554432)
  --reconnect-max-ms MS  longest redial delay (default 5000)
${METRICS_USAGE}
${COMMON}`,
};
