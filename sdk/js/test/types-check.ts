// Compiled (not run) by `npm test`: the seed's API type-checks against the published .d.ts.
import { configure, flush, Logger, shutdown, setUser, stats, type LogMessage, type TrailEvent } from '../dist/index.js';

configure({ url: 'https://trail.example.com', key: 'trail_x', user: { id: 'alice', name: 'Alice' }, package: 'PowerPack' });
const logger = new Logger();
const withCallback = new Logger((m) => (m.params['persistent'] = 'value'));
logger.log('HELLO WORLD', { test: 'value', foo: 'bar' });
withCallback.log('HELLO WORLD', { test: 'value', foo: 'bar' }, 'my_log');
logger.error('Error!', 'stack trace');
logger.error(new Error('boom'));
logger.error('Failed', { code: 1 }, 'stack');
logger.audit('a');
logger.usage('u');
logger.info('i');
logger.debug('d');
logger.warning('w');
setUser('bob');
setUser(null);
const seen: (m: LogMessage) => void = (m) => {
  m.level = 'warning';
  m.type = 'x';
  m.stackTrace = 's';
};
new Logger(seen);
const ok: Promise<boolean> = flush(1000);
const done: Promise<boolean> = shutdown();
const n: number | undefined = stats()?.dropped.queueFull;
const e: Partial<TrailEvent> = { source: 'client', level: 'audit' };
void ok, done, n, e;
