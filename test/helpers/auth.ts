import request from 'supertest';
import { issueToken } from '../../api/auth';
import type { Role } from '../../domain/access';

/** Test users (uuids, as real user ids are) and supertest requests carrying their tokens. */
export const USERS = {
  client: '0a1b2c3d-0000-4000-8000-00000000c001',
  otherClient: '0a1b2c3d-0000-4000-8000-00000000c002',
  freelancer: '0a1b2c3d-0000-4000-8000-00000000f001',
  otherFreelancer: '0a1b2c3d-0000-4000-8000-00000000f002',
  admin: '0a1b2c3d-0000-4000-8000-00000000a001',
} as const;
export type UserName = keyof typeof USERS;

export const ROLE_OF: Record<UserName, Role> = {
  client: 'client',
  otherClient: 'client',
  freelancer: 'freelancer',
  otherFreelancer: 'freelancer',
  admin: 'admin',
};

export async function tokensFor(secret: string): Promise<Record<UserName, string>> {
  const out = {} as Record<UserName, string>;
  for (const name of Object.keys(USERS) as UserName[])
    out[name] = await issueToken(secret, { sub: USERS[name], role: ROLE_OF[name] });
  return out;
}

export function as(url: string, token: string) {
  return {
    get: (path: string) => request(url).get(path).set('Authorization', `Bearer ${token}`),
    post: (path: string, body?: unknown) =>
      request(url)
        .post(path)
        .set('Authorization', `Bearer ${token}`)
        .send(body as object),
  };
}
