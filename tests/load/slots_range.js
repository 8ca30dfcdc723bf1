// A month of slots at a steady rate: what a booking page's month view asks for.
//
// RATE requests per second (constant-arrival-rate, an open model) for DURATION, each for 30 days
// of one event type's slots from a random day in the coming year, in the invitee's time zone.
// Run by tests/load/run.py after the spike has drained, on the same (warm, booked) event types:
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e EVENT_TYPES_FILE=<json list of ids> tests/load/slots_range.js
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';

const BASE = (__ENV.BASE_URL || 'http://127.0.0.1:8000') + '/api/v1';
const RATE = parseInt(__ENV.RATE || '50', 10);
const DURATION = __ENV.DURATION || '30s';
const DAYS = parseInt(__ENV.DAYS || '30', 10);
const P95 = parseInt(__ENV.P95_MS || '20', 10);
const EVENT_TYPES = JSON.parse(open(__ENV.EVENT_TYPES_FILE));

const rangeMs = new Trend('slots_range_ms', true);
const offered = new Trend('slots_offered', false);
const unexpected = new Counter('unexpected_status');

export const options = {
  scenarios: {
    month_view: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: RATE,
      maxVUs: RATE * 4,
    },
  },
  thresholds: {
    slots_range_ms: [`p(95)<${P95}`],
    unexpected_status: ['count<1'],
    dropped_iterations: ['count<1'],
  },
  summaryTrendStats: ['min', 'med', 'avg', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'],
};

function day(offset) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

export default function () {
  const eventTypeId = EVENT_TYPES[Math.floor(Math.random() * EVENT_TYPES.length)];
  const first = 2 + Math.floor(Math.random() * 300);
  const url = `${BASE}/slots?eventTypeId=${eventTypeId}&start=${day(first)}&end=${day(first + DAYS - 1)}&timeZone=America/New_York`;
  const r = http.get(url, { tags: { name: 'slots_range' } });
  rangeMs.add(r.timings.duration);
  if (r.status !== 200) {
    unexpected.add(1);
    return;
  }
  const days = r.json('data') || {};
  offered.add(Object.keys(days).reduce((n, k) => n + days[k].length, 0));
}
