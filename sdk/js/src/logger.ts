import type { TrailClient } from './client.js';
import { errorParts, toText } from './text.js';
import type { LoggerCallback, LogLevel, LogMessage } from './types.js';

/** Where a Logger without its own client sends messages: the configured one. */
export interface ClientSource {
  current(): TrailClient | undefined;
  /** Keeps a message until `configure()` is called. */
  hold(m: LogMessage): void;
}

let source: ClientSource | undefined;

/** @internal Set by index.ts: the global configuration. */
export function setClientSource(s: ClientSource): void {
  source = s;
}

export interface LoggerOptions {
  /** Send through this client instead of the global configuration. */
  client?: TrailClient;
  /** Parameters every message of this Logger starts with. */
  params?: Record<string, unknown>;
}

/**
 * Logs messages to Trail.
 *
 * ```js
 * const logger = new Logger();
 * const logger = new Logger((m) => m.params['persistent'] = 'value');
 * logger.log('HELLO WORLD', {test: 'value', foo: 'bar'});          // type "log"
 * logger.log('HELLO WORLD', {test: 'value', foo: 'bar'}, 'my_log');
 * logger.error('Error!', stackTrace);
 * ```
 */
export class Logger {
  /** Called with every message before it is sent; it may change it. */
  putCallback: LoggerCallback | undefined;
  private readonly client: TrailClient | undefined;
  private readonly defaults: Record<string, unknown> | undefined;

  constructor(putCallback?: LoggerCallback | null, options?: LoggerOptions) {
    this.putCallback = putCallback ?? undefined;
    this.client = options?.client;
    this.defaults = options?.params;
  }

  /** A message of level `info`; the type defaults to `log`. */
  log(message: unknown, params?: Record<string, unknown> | null, type = 'log'): void {
    this.put('info', message, params, type);
  }

  /** Level `info`. */
  info(message: unknown, params?: Record<string, unknown> | null, type = 'log'): void {
    this.put('info', message, params, type);
  }

  /** Level `debug` (not sent when the user's logging settings leave it out: see README, "Logging settings"). */
  debug(message: unknown, params?: Record<string, unknown> | null, type = 'log'): void {
    this.put('debug', message, params, type);
  }

  /** Level `warning`. */
  warning(message: unknown, params?: Record<string, unknown> | null, type = 'log'): void {
    this.put('warning', message, params, type);
  }

  /** Level `audit`. */
  audit(message: unknown, params?: Record<string, unknown> | null, type = 'log'): void {
    this.put('audit', message, params, type);
  }

  /** Level `usage`. */
  usage(message: unknown, params?: Record<string, unknown> | null, type = 'log'): void {
    this.put('usage', message, params, type);
  }

  /**
   * An error (type `error`, level `error`). Forms:
   * `error('Error!', stackTrace)`, `error('Error!', params, stackTrace)`,
   * `error(new Error('…'))` and `error(err, params)` (an Error gives its own
   * message and stack unless one is passed).
   */
  error(message: unknown, paramsOrStackTrace?: Record<string, unknown> | string | null, stackTrace?: string): void {
    let params: Record<string, unknown> | null | undefined;
    let stack = stackTrace;
    if (typeof paramsOrStackTrace === 'string') stack = stack ?? paramsOrStackTrace;
    else params = paramsOrStackTrace;
    const parts = errorParts(message);
    const text = parts ? parts.message : message;
    if (stack === undefined) stack = parts?.stack;
    this.put('error', text, params, 'error', stack);
  }

  private put(level: LogLevel, message: unknown, params: Record<string, unknown> | null | undefined, type: string, stackTrace?: string): void {
    const m: LogMessage = {
      level,
      message: toText(message),
      // A copy: the callback may change it without touching the caller's object.
      params: { ...(this.defaults ?? {}), ...(params && typeof params === 'object' ? params : {}) },
      type: type ?? (level === 'error' ? 'error' : 'log'),
    };
    if (stackTrace !== undefined && stackTrace !== null) m.stackTrace = String(stackTrace);
    if (this.putCallback) {
      try {
        this.putCallback(m);
      } catch (e) {
        console.warn(`trail-logger: the Logger callback threw: ${String(e)}`);
      }
    }
    if (m.params == null || typeof m.params !== 'object') m.params = {};
    const client = this.client ?? source?.current();
    if (client) client.accept(m);
    else source?.hold(m);
  }
}
