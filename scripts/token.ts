import { isRole, ROLES } from '../domain/access';
import { UUID_PATTERN } from '../domain/ids';
import { parseDuration } from '../domain/duration';
import { issueToken } from '../api/auth';
import { configOrExit } from './run';

/**
 * Prints a bearer token signed with the current JWT_SECRET (last line of output):
 *   npm run token -- --sub <user uuid> --role client|freelancer|admin [--ttl 1h]
 */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function usage(problem: string): never {
  console.error(`${problem}\nusage: npm run token -- --sub <user uuid> --role ${ROLES.join('|')} [--ttl 1h]`);
  process.exit(2);
}

async function main() {
  const sub = arg('sub');
  const role = arg('role');
  const ttl = arg('ttl') ?? '1h';
  if (!sub || !UUID_PATTERN.test(sub)) usage('--sub must be a user uuid');
  if (!isRole(role)) usage(`--role must be one of ${ROLES.join(', ')}`);
  let ttlMs: number;
  try {
    ttlMs = parseDuration(ttl);
  } catch {
    usage('--ttl must be a duration such as 30m, 1h or 7d');
  }
  const config = configOrExit();
  console.log(await issueToken(config.auth.jwtSecret, { sub, role }, Math.max(1, Math.floor(ttlMs / 1000))));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
