// Where a device keeps its state: the --data flag, else $SMALLWORLD_DATA, else /var/lib/smallworld. Apart from
// the config schema (config.ts) so that `smallworld start` can fork its peer before loading the schema's code.
export const DEFAULT_DATA_DIR = '/var/lib/smallworld';

export function resolveDataDir(flag: string | undefined): string {
  return flag ?? process.env.SMALLWORLD_DATA ?? DEFAULT_DATA_DIR;
}
