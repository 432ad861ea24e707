// Sizes in words, said the same way by the CLI, the error messages and the web page. The page loads this very
// module (compiled, served as /format-bytes.js), so it imports nothing and uses nothing but the language.

/** "3.2 MB": storage figures, in decimal units as cards and disks are sold. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "5 MiB", "512 KiB", "800 bytes": size limits, which are powers of two. */
export function formatBinaryBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}
