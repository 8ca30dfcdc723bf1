// One agenda page of 50 bookings, read over REST or GraphQL (persisted query, nested host
// and event type), at a fixed arrival rate (open model) or by a fixed pool of users flat out.
// Checks count items with gjson's `#` rather than building JS objects: k6 shares the cores.
import http from 'k6/http';
import { check } from 'k6';

const cfg = JSON.parse(open(__ENV.BENCH_CONFIG));
const target = __ENV.TARGET; // rest | rest-same-data | graphql
const headers = { Authorization: `Bearer ${cfg.key}`, 'Content-Type': 'application/json' };

const scenario = __ENV.MODE === 'rate'
  ? {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE),
      timeUnit: '1s',
      duration: __ENV.DURATION,
      preAllocatedVUs: 50,
      maxVUs: 200,
    }
  : { executor: 'constant-vus', vus: Number(__ENV.VUS), duration: __ENV.DURATION };

export const options = {
  summaryTrendStats: ['med', 'p(95)', 'p(99)', 'max', 'count'],
  scenarios: { agenda: scenario },
};

const graphqlBody = JSON.stringify({
  variables: { first: 50, from: cfg.from, to: cfg.to },
  extensions: { persistedQuery: { version: 1, sha256Hash: cfg.hash } },
});

export default function () {
  let res;
  if (target === 'rest' || target === 'rest-same-data') {
    res = http.get(`${cfg.base}/api/v1/agenda?limit=50&from=${cfg.from}&to=${cfg.to}`, { headers, tags: { name: 'agenda' } });
    check(res, { '50 entries': (r) => r.status === 200 && r.json('data.#') === 50 });
    if (target === 'rest-same-data') {
      // what a REST client also needs to show hosts' names and event types' lengths
      const hosts = http.get(`${cfg.base}/api/v1/hosts`, { headers, tags: { name: 'hosts' } });
      const types = http.get(`${cfg.base}/api/v1/event-types`, { headers, tags: { name: 'event_types' } });
      check(hosts, { 'hosts': (r) => r.status === 200 });
      check(types, { 'event types': (r) => r.status === 200 });
    }
  } else {
    res = http.post(`${cfg.base}/graphql`, graphqlBody, { headers, tags: { name: 'agenda' } });
    check(res, {
      '50 entries': (r) => r.status === 200 && !r.json('errors') && r.json('data.agenda.edges.#') === 50,
    });
  }
}
