/**
 * The user's effective logging settings, so that events the server would not
 * record are not sent. Read when the user is set (sends never wait for them:
 * until they are known everything is sent, and the server drops what it must),
 * then again at most once a minute, only when about to send, and never while
 * the page is hidden.
 */

import type { Clock } from './clock.js';
import { safeParse } from './text.js';
import type { Transport } from './transport.js';
import type { EffectiveSettings, LogLevel } from './types.js';
import type { Warnings } from './warnings.js';

/** The shortest time between two readings, whatever `refresh_seconds` says (the server's is 3 s, for servers). */
const MIN_REFRESH_MS = 60_000;

export interface SettingsOptions {
  transport: Transport;
  clock: Clock;
  warnings: Warnings;
  /** After a failed reading, the next no sooner than this. */
  retryMs: number;
  /** Whether a send now would be seen by someone (not a hidden page). */
  visible: () => boolean;
  /** New settings arrived: events queued before may be dropped now. */
  changed: () => void;
}

/** The server's rule (trail-core `Dropping::allows`), told from the effective settings. */
export function allows(s: EffectiveSettings, type: string, level: LogLevel): boolean {
  return !s.disabled_types.includes(type) && (level !== 'debug' || s.debug || s.debug_types.includes(type));
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
}

/** The answer's settings, or undefined when it is not an answer of this endpoint. */
function parse(text: string): EffectiveSettings | undefined {
  const s = safeParse(text) as Partial<EffectiveSettings> | undefined;
  if (!s || typeof s !== 'object' || !Array.isArray(s.disabled_types)) return undefined;
  return { ...s, disabled_types: strings(s.disabled_types), debug: s.debug === true, debug_types: strings(s.debug_types) };
}

export class Settings {
  private login: string | undefined;
  private settings: EffectiveSettings | undefined;
  private nextAt = Infinity;
  private reading: Promise<void> | undefined;

  constructor(private readonly o: SettingsOptions) {}

  get effective(): EffectiveSettings | undefined {
    return this.settings;
  }

  /** A new person: forget the last one's settings and read theirs now. */
  setUser(login: string | undefined): void {
    if (login === this.login) return;
    this.login = login;
    this.settings = undefined;
    this.reading = undefined;
    this.nextAt = login === undefined ? Infinity : -Infinity;
    this.refreshIfDue();
  }

  /** Whether an event of this person is recorded (true while the settings are unknown). */
  allows(login: string | undefined, type: string, level: LogLevel): boolean {
    const s = this.settings;
    return !s || login !== this.login || allows(s, type, level);
  }

  /** Called before a send: reads the settings again if they are due (in the background). */
  refreshIfDue(): void {
    if (this.reading || this.o.clock.now() < this.nextAt || !this.o.visible()) return;
    const login = this.login!;
    this.reading = this.read(login).finally(() => {
      if (this.login === login) this.reading = undefined;
    });
  }

  /** Stops reading (the client is closed). */
  close(): void {
    this.login = undefined;
    this.nextAt = Infinity;
  }

  private async read(login: string): Promise<void> {
    const outcome = await this.o.transport.request(`/api/v1/logging-settings/effective?user=${encodeURIComponent(login)}`, 'GET');
    if (this.login !== login) return;
    const s = outcome.kind === 'http' && outcome.status === 200 ? parse(outcome.text) : undefined;
    if (!s) {
      this.failed(outcome.kind === 'http' ? outcome.status : 0);
      return;
    }
    this.settings = s;
    const refreshMs = Number(s.refresh_seconds) * 1000;
    this.nextAt = this.o.clock.now() + Math.max(MIN_REFRESH_MS, Number.isFinite(refreshMs) ? refreshMs : 0);
    this.o.changed();
  }

  private failed(status: number): void {
    this.nextAt = this.o.clock.now() + this.o.retryMs;
    if (status === 401 || status === 403 || status === 404) {
      // Not for this key, or not on this server: send everything (the server still applies them).
      this.settings = undefined;
      this.o.warnings.once('settings', `trail-logger: the logging settings are not available to this key (${status}); every event is sent, the server still applies them`);
    }
    // Unreachable or failing: the last settings stay.
  }
}
