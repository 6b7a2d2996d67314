import { SubjectCatalogue, type AppName, type SubjectDescription } from './subjects.js';

/**
 * Renders `docs/subjects.md` from `SubjectCatalogue`: `npm run docs:subjects` writes it, and a unit test fails when
 * the committed file and this rendering differ, so the catalogue and its documentation cannot drift apart.
 */
export function renderSubjectsDoc(): string {
  const entries = Object.entries(SubjectCatalogue) as Array<[string, SubjectDescription]>;
  const requests = entries.filter(([, d]) => d.kind === 'request');
  const events = entries.filter(([, d]) => d.kind === 'event');
  return [
    ...PREFACE,
    '## Requests',
    '',
    'Request/reply: exactly one replica of the serving app answers each request.',
    '',
    ...table(requests),
    '',
    '## Events',
    '',
    'Fire-and-forget (core NATS, at most once). An `every replica` event reaches each running replica of each',
    'listening app (no queue group), because each replica keeps its own state current from it; a queue-group event',
    'reaches one replica of each listening app.',
    '',
    ...table(events),
    '',
  ].join('\n');
}

const PREFACE = [
  '# Bus subjects',
  '',
  '<!-- Generated from SubjectCatalogue in libs/contracts/src/subjects.ts by `npm run docs:subjects`; do not edit',
  '     by hand. libs/contracts/src/subjects-doc.spec.ts fails when this file and the catalogue disagree. -->',
  '',
  'Every message the five apps exchange, with who serves it, who sends it and how it is delivered. The names are',
  'the contract between independently deployed apps: renaming one, or changing its payload, breaks every replica',
  'still running the old code, so a breaking change gets a new subject with a version suffix',
  '(`token.code.exchange.2`). Payload and reply types live beside the names, in `RequestMap` and `EventMap`',
  '(libs/contracts/src/contract-map.ts); every handler validates its payload on receipt.',
  '',
  '## Prefix',
  '',
  'On NATS every subject is prefixed with `HANDOVER_SUBJECT_PREFIX` (default `handover`): `token.jwks.get` travels',
  'as `handover.token.jwks.get`. Separate deployments, and separate test runs, can share one NATS server by using',
  'different prefixes; every app of one deployment must use the same one. Embedded mode (`npm start`) has an',
  'in-process bus with the same semantics (one answer per request, queue groups, every-replica events) and no',
  'prefix.',
  '',
  '## Delivery',
  '',
  '- **queue group of `<app>`**: the replicas of an app subscribe in one NATS queue group named after the app, so a',
  '  message reaches exactly one of them and replicas share the load.',
  '- **every replica of `<app>`**: the replicas subscribe without a queue group, so each one hears the message',
  '  (cache invalidation, the revocation set each gateway replica keeps).',
  '',
  '## Wire format',
  '',
  'Requests travel in batches: the requests one caller makes to one subject during one event-loop turn share a',
  "message (at most 32 of them), with one reply subject under the caller's inbox. As JSON:",
  '',
  '- request: `{"pattern": "<subject>", "batch": [{"id": "<request number>", "data": <payload>, "rid": "<request id>"}]}`',
  '- reply: `[{"id": "<same>", "response": <reply>}]`, or for a failed item `[{"id": "<same>", "err": <error body>}]`;',
  '  the answers that are ready together travel together, the others follow in their own messages',
  '- event: `{"pattern": "<subject>", "data": <payload>}`, the request id in the `x-request-id` NATS header',
  '',
  'Nest\'s single-request format (`{"pattern", "data", "id"}` → `{"id", "response" | "err", "isDisposed"}`,',
  "what Nest's own `ClientProxy` sends) is still served. The caller's request id (`rid`, or the header) reaches the",
  'handler in its `BusContext`, which passes it on to the calls it makes, so one request can be followed through the',
  'logs of every app it crosses. A message without one gets a fresh id.',
  '',
  '## Errors',
  '',
  'A failed request answers with `err` set to the error body that also leaves the HTTP edge:',
  '`{"error": "<code>", "error_description": "<public text>", "retry_after"?: <seconds>}`, where `error` is an',
  "RFC 6749 §5.2 code or one of Handover's own (libs/contracts/src/errors.ts). The caller rethrows it as the same",
  '`HandoverError`, and the gateway maps its code to an HTTP status. An unexpected failure inside a handler is',
  'logged there with an error id and crosses as `temporarily_unavailable` carrying only that id; no internal',
  'detail leaves the app.',
  '',
  '## Timeouts',
  '',
  'Every request has an explicit deadline, `BUS_REQUEST_TIMEOUT_MS` (see docs/configuration.md). No answer',
  'within it, no responders (nobody serves the subject) or a broken connection become `temporarily_unavailable`,',
  'which the gateway answers as `503` with `Retry-After`: a client never waits on a hang.',
  '',
];

function table(rows: Array<[string, SubjectDescription]>): string[] {
  return [
    '| subject | kind | served by | sent by | delivery | purpose |',
    '|---|---|---|---|---|---|',
    ...rows.map(([subject, d]) =>
      ['', `\`${subject}\``, d.kind, apps(d.servedBy), apps(d.sentBy), delivery(d), cell(d.purpose), '']
        .join(' | ')
        .trim(),
    ),
  ];
}

function apps(names: readonly AppName[]): string {
  return names.map((n) => `\`${n}\``).join(', ');
}

function delivery(d: SubjectDescription): string {
  const label = d.delivery === 'queue-group' ? 'queue group of' : 'every replica of';
  return d.servedBy.map((app) => `${label} \`${app}\``).join('; ');
}

/** A table cell: pipes would end the cell early, newlines the row. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ');
}
