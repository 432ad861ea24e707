// Buttons and LEDs as ports. On a Pi they are GPIO lines; in the simulator they live in memory.
import type { Button, LedName, LedPattern } from '../device/model.js';

export interface LedPort {
  set(led: LedName, pattern: LedPattern): Promise<void>;
}

export interface ButtonPort {
  /** Starts delivering debounced presses. */
  start(onPress: (button: Button) => void): void;
  close(): Promise<void>;
}
