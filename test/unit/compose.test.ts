import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * No Docker engine runs on the development machines, so docker-compose.yml is
 * validated here: it parses, defines the production-like topology, every
 * service it names is defined, and what the Dockerfile copies exists.
 */
const ROOT = path.resolve(__dirname, '../..');
const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
const services: Record<string, Record<string, unknown>> = compose.services;

test('defines MySQL 8, Temporal on MySQL, the Temporal UI, the api and worker, and the TLS proxy', () => {
  expect(Object.keys(services).sort()).toEqual(['api', 'mysql', 'proxy', 'temporal', 'temporal-ui', 'worker']);
  expect(services.mysql.image).toMatch(/^mysql:8/);
  expect((services.temporal.environment as Record<string, string>).DB).toBe('mysql8');
  expect((services['temporal-ui'].environment as Record<string, string>).TEMPORAL_ADDRESS).toBe('temporal:7233');
  for (const name of ['api', 'worker']) {
    expect(services[name].build).toBe('.');
    const env = services[name].environment as Record<string, string>;
    expect([name, env.DB_HOST, env.TEMPORAL_ADDRESS, env.NODE_ENV]).toEqual([
      name,
      'mysql',
      'temporal:7233',
      'production',
    ]);
  }
});

test('the api and worker get both production secrets from the environment, and Temporal is not published beyond loopback', () => {
  for (const name of ['api', 'worker']) {
    const env = services[name].environment as Record<string, string>;
    expect([name, env.JWT_SECRET, env.MOCK_PAYMENT_SECRET]).toEqual([
      name,
      expect.stringMatching(/^\$\{JWT_SECRET:\?/),
      expect.stringMatching(/^\$\{MOCK_PAYMENT_SECRET:\?/),
    ]);
  }
  for (const name of ['temporal', 'temporal-ui']) {
    for (const port of (services[name].ports as string[]) ?? [])
      expect([name, port]).toEqual([name, expect.stringMatching(/^127\.0\.0\.1:/)]);
  }
});

test('HTTPS only: the api is reached through the TLS-terminating proxy alone, and trusts only its address', () => {
  const api = services.api as { ports?: string[]; environment: Record<string, string> };
  expect(api.ports).toBeUndefined();
  const proxy = services.proxy as {
    ports: string[];
    volumes: string[];
    networks: { default: { ipv4_address: string } };
  };
  expect(proxy.ports).toEqual(['80:80', '443:443']);
  expect(api.environment.TRUST_PROXY).toBe(proxy.networks.default.ipv4_address);
  const subnet = compose.networks.default.ipam.config[0].subnet as string;
  expect(proxy.networks.default.ipv4_address.startsWith(subnet.split('.').slice(0, 3).join('.'))).toBe(true);
  // the Caddyfile it mounts exists and proxies to the api
  const caddyfile = proxy.volumes.find((v) => v.includes('Caddyfile'))!.split(':')[0];
  expect(fs.readFileSync(path.join(ROOT, caddyfile), 'utf8')).toMatch(/reverse_proxy api:5001/);
  // the worker's notifications go through the proxy over HTTPS
  const worker = services.worker.environment as Record<string, string>;
  expect(worker.BACKEND_URL).toMatch(/^https:\/\/proxy$/);
  expect(api.environment.BACKEND_URL).toMatch(/^https:\/\//);
  // Node reads NODE_EXTRA_CA_CERTS once: the worker starts only after the proxy made its CA
  expect((services.worker.depends_on as Record<string, { condition: string }>).proxy).toEqual({
    condition: 'service_healthy',
  });
  expect((services.proxy.healthcheck as { test: string[] }).test.join(' ')).toContain('root.crt');
  expect(worker.NODE_EXTRA_CA_CERTS).toBe('/caddy/caddy/pki/authorities/local/root.crt');
  // the proxy name the worker calls always gets a local-CA certificate, whatever the public name does
  expect(fs.readFileSync(path.join(ROOT, 'deploy/Caddyfile'), 'utf8')).toMatch(
    /^proxy \{\n\ttls internal\n\treverse_proxy api:5001\n\}/m,
  );
});

test('depends_on has no cycle (compose could not start it)', () => {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (done.has(name)) return;
    if (visiting.has(name)) throw new Error(`depends_on cycle: ${[...trail, name].join(' -> ')}`);
    visiting.add(name);
    const deps = services[name].depends_on;
    for (const dep of Array.isArray(deps) ? deps : Object.keys((deps as object) ?? {})) visit(dep, [...trail, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of Object.keys(services)) visit(name, []);
});

test('every service named in depends_on is defined, and every named volume is declared', () => {
  for (const [name, svc] of Object.entries(services)) {
    const deps = svc.depends_on;
    const names = Array.isArray(deps) ? deps : Object.keys((deps as object) ?? {});
    for (const dep of names) expect([name, dep, dep in services]).toEqual([name, dep, true]);
    for (const volume of (svc.volumes as string[] | undefined) ?? []) {
      const source = volume.split(':')[0];
      if (!source.startsWith('.') && !source.startsWith('/'))
        expect([name, source, source in (compose.volumes ?? {})]).toEqual([name, source, true]);
    }
  }
});

test('the Dockerfile copies only what exists and the commands point at real entry points', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  const copies = [...dockerfile.matchAll(/^COPY\s+(.+?)\s+\S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  expect(copies.length).toBeGreaterThan(5);
  for (const source of copies) expect([source, fs.existsSync(path.join(ROOT, source))]).toEqual([source, true]);
  for (const name of ['api', 'worker']) {
    const command = services[name].command as string[];
    const entry = command.find((part) => part.endsWith('.ts'))!;
    expect([name, fs.existsSync(path.join(ROOT, entry))]).toEqual([name, true]);
  }
});
