import express, { Router } from 'express';
import { openApiDocument } from '../openapi';
import type { RouteDeps } from './context';

/**
 * GET /openapi.json (the generated OpenAPI 3.1 document) and GET /docs
 * (Swagger UI from the swagger-ui-dist package: no CDN). The page loads only
 * files of this origin and no inline script, so the app's CSP holds; its
 * initializer is a file of its own pointing the UI at /openapi.json.
 * Served in production too: the document lists only what is mounted there.
 */
// swagger-ui-dist ships no type declarations
// eslint-disable-next-line @typescript-eslint/no-require-imports
const swaggerUiDist = require('swagger-ui-dist') as { getAbsoluteFSPath(): string };

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>SkillConnect Payments API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="stylesheet" href="/docs/index.css">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-standalone-preset.js"></script>
<script src="/docs/swagger-initializer.js"></script>
</body>
</html>
`;

const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
});
`;

export function docsRouter({ v, config }: Pick<RouteDeps, 'v' | 'config'>): Router {
  const router = Router();
  let document: string | undefined; // built on first request, then kept
  router.get('/openapi.json', (_req, res) => {
    document ??= JSON.stringify(openApiDocument(v, { development: !config.isProduction }));
    res.type('application/json').send(document);
  });
  router.get('/docs', (_req, res) => void res.type('html').send(PAGE));
  router.get('/docs/swagger-initializer.js', (_req, res) => void res.type('text/javascript').send(INITIALIZER));
  router.use('/docs', express.static(swaggerUiDist.getAbsoluteFSPath(), { index: false, maxAge: '1h' }));
  return router;
}
