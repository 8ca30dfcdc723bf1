// One agenda page of 50 bookings, read over REST or GraphQL (persisted query, nested host
// and event type), at a fixed arrival rate (open model) or by a fixed pool of users flat out.
import http from 'k6/http';
import { check } from 'k6';

const cfg = JSON.parse(open(__ENV.BENCH_CONFIG));
const target = __ENV.TARGET; // rest | graphql
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
  if (target === 'rest') {
    res = http.get(`${cfg.base}/api/v1/agenda?limit=50&from=${cfg.from}&to=${cfg.to}`, { headers, tags: { name: 'agenda' } });
    check(res, { '50 entries': (r) => r.status === 200 && r.json('data').length === 50 });
  } else {
    res = http.post(`${cfg.base}/graphql`, graphqlBody, { headers, tags: { name: 'agenda' } });
    check(res, {
      '50 entries': (r) => r.status === 200 && !r.json('errors') && r.json('data.agenda.edges').length === 50,
    });
  }
}
