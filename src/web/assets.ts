// Where the page's files are: its HTML fragments, scripts and styles stay in src/web/public (served as they
// are), found from this module's place under dist/.
export const asset = (name: string) => new URL(`../../../src/web/public/${name}`, import.meta.url);
/** The page says sizes as the server does: it loads the compiled module itself. */
export const FORMAT_BYTES_MODULE = new URL('../storage/format-bytes.js', import.meta.url);
