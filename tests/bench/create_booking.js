// Create-booking load at a fixed arrival rate (open model): every iteration books its own slot.
import http from 'k6/http';
import exec from 'k6/execution';
import { check } from 'k6';

const cfg = JSON.parse(open(__ENV.BENCH_CONFIG));

export const options = {
  discardResponseBodies: false,
  summaryTrendStats: ['med', 'p(95)', 'p(99)', 'max', 'count'],
  scenarios: {
    bookings: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE),
      timeUnit: '1s',
      duration: __ENV.DURATION,
      preAllocatedVUs: Number(__ENV.VUS || 50),
      maxVUs: Number(__ENV.MAX_VUS || 400),
    },
  },
};

export default function () {
  const i = exec.scenario.iterationInTest + Number(__ENV.OFFSET || 0);
  const slot = cfg.slots[i % cfg.slots.length];
  const body = JSON.stringify({
    eventTypeId: slot.eventTypeId,
    start: slot.start,
    attendee: { name: 'Load Test', email: 'load@example.com', timeZone: 'UTC' },
  });
  const res = http.post(`${cfg.base}/api/v1/bookings`, body, {
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `bench-${__ENV.RUN}-${i}` },
    tags: { name: 'create_booking' },
  });
  check(res, { 'created': (r) => r.status === 201 });
}
