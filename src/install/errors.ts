// A refusal of `smallworld install`/`uninstall` the owner can act on: printed as it is, exit code 1.
export class InstallError extends Error {
  override name = 'InstallError';
}
