// Slotwise's own load suite: the production shape against the REST v1 contract.
//
// Invitee flows arrive at RATE per second, then ten times that at "the top of the hour" (5 s
// ramp, held for HOLD), then back to RATE. Each flow looks up one day of slots, thinks 3–7 s,
// and books one of them (10% double clicks: the same request twice at once, one
// Idempotency-Key). Of the bookings made, 5% are then rescheduled and 5% cancelled with the
// booking's cancel token. `ramping-arrival-rate` is an open model: a slow server cannot slow
// the arrivals down, and `dropped_iterations` counts the flows k6 could not start.
//
// Run by tests/load/run.py (`make load`), which starts the stack and reads the summary:
//   k6 run -e BASE_URL=http://127.0.0.1:8000 -e EVENT_TYPES_FILE=<json list of ids> -e RATE=10 tests/load/spike.js
// PEER=1 runs the same shape against a server without reschedule and cancel (the CRUD yardstick):
// those two steps are skipped and counted as skipped, nothing else changes.
import http from 'k6/http';
import { sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';

const BASE = (__ENV.BASE_URL || 'http://127.0.0.1:8000') + '/api/v1';
const RATE = parseInt(__ENV.RATE || '10', 10);
const SPIKE = parseInt(__ENV.SPIKE || '10', 10);
const HOLD = __ENV.HOLD || '45s';
const TAIL = __ENV.TAIL || '30s';
const PEER = __ENV.PEER === '1';
const THINK_MIN = parseFloat(__ENV.THINK_MIN || '3');
const THINK_MAX = parseFloat(__ENV.THINK_MAX || '7');
// thresholds: the SLO by default; a smoke run passes looser ones (a tripwire, not a benchmark)
const P95 = parseInt(__ENV.P95_MS || '300', 10);
const P99 = parseInt(__ENV.P99_MS || '1000', 10);

const createMs = new Trend('create_booking_ms', true);
const slotsMs = new Trend('slots_ms', true);
const rescheduleMs = new Trend('reschedule_ms', true);
const cancelMs = new Trend('cancel_ms', true);
const booked = new Counter('bookings_made'); // distinct new bookings (a double click counts once)
const taken = new Counter('slot_taken'); // 409: someone else got the slot first (expected, not an error)
const rescheduled = new Counter('bookings_rescheduled');
const cancelled = new Counter('bookings_cancelled');
const skipped = new Counter('changes_skipped'); // PEER=1: the server has no reschedule or cancel
const doubleClickDupes = new Counter('double_click_duplicates');
const unexpected = new Counter('unexpected_status');

let warned = 0;
function bad(response, what) {
  unexpected.add(1, { step: what });
  if (warned++ < 10) console.warn(`${what}: ${response.status} ${String(response.body).slice(0, 300)}`);
}

const latency = [`p(95)<${P95}`, `p(99)<${P99}`];
export const options = {
  discardResponseBodies: false,
  setupTimeout: '300s',
  scenarios: {
    invitees: {
      executor: 'ramping-arrival-rate',
      startRate: RATE,
      timeUnit: '1s',
      preAllocatedVUs: RATE * SPIKE * 8,
      maxVUs: RATE * SPIKE * 12,
      stages: [
        { target: RATE, duration: HOLD }, // steady
        { target: RATE * SPIKE, duration: '5s' }, // the top of the hour
        { target: RATE * SPIKE, duration: HOLD }, // the spike, held
        { target: RATE, duration: '5s' },
        { target: RATE, duration: TAIL }, // back to steady while the backlog drains
      ],
    },
  },
  thresholds: {
    create_booking_ms: latency,
    slots_ms: latency,
    reschedule_ms: latency,
    cancel_ms: latency,
    unexpected_status: ['count<1'],
    double_click_duplicates: ['count<1'],
    dropped_iterations: ['count<1'],
  },
  summaryTrendStats: ['min', 'med', 'avg', 'p(90)', 'p(95)', 'p(99)', 'max', 'count'],
};

const JSON_HEADERS = { 'Content-Type': 'application/json' };

function must(response, what) {
  if (response.status >= 300) throw new Error(`${what}: ${response.status} ${String(response.body).slice(0, 300)}`);
  return response;
}

function day(offset) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

function slotsOf(eventTypeId, d, tag) {
  const url = `${BASE}/slots?eventTypeId=${eventTypeId}&start=${d}&end=${d}&timeZone=America/New_York`;
  return http.get(url, { tags: { name: tag } });
}

function startsIn(response) {
  const days = response.json('data') || {};
  const starts = [];
  Object.keys(days).forEach((k) => days[k].forEach((s) => starts.push(s.start)));
  return starts;
}

// the hosts and event types run.py made before the clock started (the same for every system)
const EVENT_TYPES = JSON.parse(open(__ENV.EVENT_TYPES_FILE));

export function setup() {
  // warm caches: every worker thread has read each event type and host before the clock starts
  for (let round = 0; round < 4; round++) {
    EVENT_TYPES.forEach((et) => must(slotsOf(et, day(1 + round), 'warmup'), 'warm up'));
  }
  console.log('LOAD-SCENARIO-START'); // run.py times the phases from this line
  return { eventTypes: EVENT_TYPES };
}

function book(eventTypeId, start) {
  const body = JSON.stringify({ eventTypeId, start, attendee: { name: 'Load', email: 'invitee@example.com', timeZone: 'America/New_York' } });
  const params = {
    headers: { ...JSON_HEADERS, 'Idempotency-Key': `k6-${__VU}-${__ITER}-${Math.random()}` },
    tags: { name: 'create_booking' },
  };
  const doubleClick = Math.random() < 0.1;
  const answers = doubleClick
    ? http.batch([['POST', `${BASE}/bookings`, body, params], ['POST', `${BASE}/bookings`, body, params]])
    : [http.post(`${BASE}/bookings`, body, params)];
  answers.forEach((x) => createMs.add(x.timings.duration));
  answers.forEach((x) => {
    if (x.status === 409) taken.add(1);
    else if (x.status !== 201) bad(x, 'create');
  });
  const made = answers.filter((x) => x.status === 201);
  if (made.length === 2 && made[0].json('data.uid') !== made[1].json('data.uid')) doubleClickDupes.add(1);
  if (made.length === 0) return null;
  booked.add(1);
  return { uid: made[0].json('data.uid'), token: made[0].json('data.cancelToken') };
}

function change(booking, eventTypeId, starts) {
  const roll = Math.random();
  if (roll >= 0.10) return;
  if (PEER) { skipped.add(1); return; }
  const params = (name) => ({
    headers: { ...JSON_HEADERS, 'X-Cancel-Token': booking.token, 'Idempotency-Key': `k6-${name}-${__VU}-${__ITER}-${Math.random()}` },
    tags: { name },
  });
  sleep(1 + Math.random() * 2);
  if (roll < 0.05) {
    const to = starts[Math.floor(Math.random() * starts.length)];
    const x = http.post(`${BASE}/bookings/${booking.uid}/reschedule`, JSON.stringify({ start: to }), params('reschedule'));
    rescheduleMs.add(x.timings.duration);
    if (x.status === 200) rescheduled.add(1);
    else if (x.status === 409) taken.add(1);
    else bad(x, 'reschedule');
  } else {
    const x = http.post(`${BASE}/bookings/${booking.uid}/cancel`, JSON.stringify({ reason: 'load test' }), params('cancel'));
    cancelMs.add(x.timings.duration);
    if (x.status === 200) cancelled.add(1);
    else bad(x, 'cancel');
  }
}

export default function (data) {
  const eventTypeId = data.eventTypes[Math.floor(Math.random() * data.eventTypes.length)];
  const looked = slotsOf(eventTypeId, day(2 + Math.floor(Math.random() * 300)), 'slots');
  slotsMs.add(looked.timings.duration);
  if (looked.status !== 200) { bad(looked, 'slots'); return; }
  const starts = startsIn(looked);
  if (starts.length === 0) return;
  sleep(THINK_MIN + Math.random() * (THINK_MAX - THINK_MIN));
  const booking = book(eventTypeId, starts[Math.floor(Math.random() * starts.length)]);
  if (booking !== null) change(booking, eventTypeId, starts);
}
