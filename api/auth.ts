import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { SignJWT, jwtVerify } from 'jose';
import { Principal, Role, isRole } from '../domain/access';
import { UUID_PATTERN } from '../domain/ids';
import { HttpError } from './errors';

/**
 * Bearer JWT authentication: HS256 only, keyed with JWT_SECRET; `sub` (a user
 * uuid), `role` and `exp` are required. Every failure answers the same 401, so
 * a caller learns nothing about why.
 */
declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
    /** X-Request-Id: the caller's if well-formed, otherwise generated; in the logs and the audit rows of this request. */
    requestId?: string;
  }
}

const unauthorized = () => new HttpError(401, 'UNAUTHORIZED', 'a valid bearer token is required');

const keyFor = (secret: string) => new TextEncoder().encode(secret);

export async function verifyToken(token: string, secret: string): Promise<Principal> {
  try {
    const { payload } = await jwtVerify(token, keyFor(secret), {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
    });
    if (typeof payload.sub !== 'string' || !UUID_PATTERN.test(payload.sub) || !isRole(payload.role))
      throw unauthorized();
    return { id: payload.sub.toLowerCase(), role: payload.role };
  } catch {
    throw unauthorized();
  }
}

export function authenticate(secret: string): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer ([A-Za-z0-9_.-]{1,4096})$/.exec(header) : null;
    if (!match) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return next(unauthorized());
    }
    verifyToken(match[1], secret).then(
      (principal) => {
        req.principal = principal;
        next();
      },
      (err) => {
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        next(err);
      },
    );
  };
}

/** The authenticated principal of a request that went through `authenticate`. */
export function principalOf(req: Request): Principal {
  if (!req.principal) throw unauthorized();
  return req.principal;
}

/** Signs a token (development tooling and tests). `ttl` such as 3600 seconds. */
export async function issueToken(
  secret: string,
  claims: { sub: string; role: Role },
  ttlSeconds = 3600,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(keyFor(secret));
}
