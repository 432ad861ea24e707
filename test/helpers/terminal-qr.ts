// Reads back a QR code drawn in a terminal by the `qrcode` package (half-block characters and ANSI colours),
// as a phone's camera would: the characters turned into pixels, decoded by jsQR.
import jsqrModule from 'jsqr';

type DecodeQr = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
// jsqr is a UMD bundle: its function is the module itself and also its `default`.
const jsQR: DecodeQr = (jsqrModule as unknown as { default?: DecodeQr }).default ?? (jsqrModule as unknown as DecodeQr);

/** The half-block characters back into pixels: each character is two modules, dark where it is drawn. */
export function decodeTerminalQr(lines: string[]): string | null {
  // Each cell: [top dark, bottom dark]. A glyph drawn in white (ESC[37m, the quiet zone's edge) is light.
  const rows = lines
    .filter((l) => /[█▀▄]/.test(l))
    .map((line) => {
      const cells: boolean[][] = [];
      let white = false;
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI colour codes the renderer writes
      for (const [, code, ch] of line.matchAll(/\u001b\[([0-9;]*)m|(.)/gu)) {
        if (code !== undefined) white = code === '37' ? true : code === '30' ? false : white;
        else if (ch !== undefined)
          cells.push(white ? [false, false] : [ch === '█' || ch === '▀', ch === '█' || ch === '▄']);
      }
      return cells;
    });
  if (rows.length === 0) return null;
  const width = Math.max(...rows.map((r) => r.length));
  const scale = 4;
  const margin = 4;
  const w = (width + 2 * margin) * scale;
  const h = (rows.length * 2 + 2 * margin) * scale;
  const pixels = new Uint8ClampedArray(w * h * 4).fill(255);
  rows.forEach((row, y) => {
    row.forEach((dark, x) => {
      dark.forEach((isDark, half) => {
        if (!isDark) return;
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++) {
            const px = (x + margin) * scale + dx;
            const py = (y * 2 + half + margin) * scale + dy;
            pixels.fill(0, (py * w + px) * 4, (py * w + px) * 4 + 3);
          }
      });
    });
  });
  return jsQR(pixels, w, h)?.data ?? null;
}
