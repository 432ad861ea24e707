// Simulated LEDs and buttons: the LEDs remember their pattern, the buttons are pressed by code
// (the control API's `press`, the simulated device page) exactly where a GPIO edge would arrive.
import type { Button, LedName, LedPattern } from '../device/model.js';
import type { ButtonPort, LedPort } from './ports.js';

export class SimLeds implements LedPort {
  readonly patterns: Record<LedName, LedPattern> = { ap: 'off', connection: 'off', replication: 'off' };
  readonly history: Array<{ led: LedName; pattern: LedPattern }> = [];

  async set(led: LedName, pattern: LedPattern): Promise<void> {
    this.patterns[led] = pattern;
    this.history.push({ led, pattern });
  }
}

export class SimButtons implements ButtonPort {
  private listener: ((button: Button) => void) | null = null;

  start(onPress: (button: Button) => void): void {
    this.listener = onPress;
  }

  press(button: Button): void {
    this.listener?.(button);
  }

  async close(): Promise<void> {
    this.listener = null;
  }
}
