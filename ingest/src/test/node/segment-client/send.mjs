// Usage: node send.mjs HOST WRITE_KEY RUN_ID
// Sends a track, a page and an identify call through @segment/analytics-node, unchanged but for its host.
import { Analytics } from '@segment/analytics-node';

const [host, writeKey, runId] = process.argv.slice(2);
const analytics = new Analytics({ writeKey, host, flushAt: 3, flushInterval: 500, maxRetries: 0 });
const errors = [];
analytics.on('error', (error) => errors.push(String(error?.message ?? error)));

const timestamp = new Date();
analytics.track({
  userId: `student-${runId}`,
  messageId: `${runId}-track`,
  event: 'Video Playback Started',
  timestamp,
  properties: { url: '/courses/algebra/chapter-3', chapter_id: 'algebra-ch3', position: 12 },
});
analytics.page({
  anonymousId: `anonymous-${runId}`,
  messageId: `${runId}-page`,
  timestamp,
  properties: { url: '/courses/algebra' },
});
analytics.identify({ userId: `student-${runId}`, messageId: `${runId}-identify`, traits: { email: 'student@example.edu' } });

await analytics.closeAndFlush({ timeout: 15000 });
console.log(JSON.stringify({ errors }));
